using System.Security.Cryptography;
using System.Text.Json;
using ImageUpdate.Platform.Transport;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.Transport;

/// <summary>
/// <see cref="UrlFetcher.DownloadToFileAsync"/> against Kestrel on 127.0.0.1 serving a file with
/// Range support, cutting connections, ignoring Range or If-Range, and changing the file.
/// </summary>
public sealed class ResumableDownloadTests : IDisposable
{
    private const int SixtyFourMiB = 64 * 1024 * 1024;

    // One shared 64 MiB payload: making it is the slow part.
    private static readonly Lazy<byte[]> BigPayload = new(() => TransportTestData.Payload(SixtyFourMiB, seed: 64));

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string PartialPath => _directory.Combine("part.raw.partial");

    [Fact]
    public async Task A_download_writes_the_file_reports_progress_and_leaves_no_sidecar()
    {
        var content = TransportTestData.Payload(3 << 20, seed: 11);
        var endpoint = new RangeFileEndpoint(content);
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);
        var reports = new List<DownloadProgress>();

        var result = await fetcher.DownloadToFileAsync(server.Url("part.raw"), PartialPath, 4 << 20, new SynchronousProgress<DownloadProgress>(reports.Add), CancellationToken.None);
        var progress = reports.Select(r => r.Bytes).ToList();
        Assert.All(reports, r => Assert.Equal(content.Length, r.Total));

        Assert.Equal(new DownloadResult(content.Length, content.Length, Resumes: 0, Restarts: 0), result);
        Assert.Equal(content, await File.ReadAllBytesAsync(PartialPath));
        Assert.False(File.Exists(UrlFetcher.StatePath(PartialPath)));
        Assert.Equal(content.Length, progress[^1]);
        Assert.Equal(progress.Order(), progress);
    }

    [Fact]
    public async Task A_cut_in_the_middle_of_64_MiB_resumes_with_Range_and_fetches_fewer_bytes_than_a_restart()
    {
        var content = BigPayload.Value;
        var endpoint = new RangeFileEndpoint(content) { CutAfter = i => i == 0 ? 40_000_000 : null };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var result = await fetcher.DownloadToFileAsync(server.Url("part.raw"), PartialPath, SixtyFourMiB, null, CancellationToken.None);

        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await File.ReadAllBytesAsync(PartialPath)));
        var requests = endpoint.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        var resumedFrom = long.Parse(requests[1].Range["bytes=".Length..^1]);
        Assert.InRange(resumedFrom, 1, 40_000_000);
        Assert.Equal("\"v1\"", requests[1].IfRange);
        Assert.Equal(1, result.Resumes);
        Assert.Equal(0, result.Restarts);
        // Each byte fetched once; a restart would have fetched the first resumedFrom bytes twice.
        Assert.Equal(content.Length, result.BytesFetched);
        Assert.True(result.BytesFetched < resumedFrom + content.Length);
        Assert.Equal(content.Length, fetcher.BytesReceived);
    }

    [Fact]
    public async Task A_server_that_ignores_Range_makes_the_download_start_over_cleanly()
    {
        var content = BigPayload.Value;
        var endpoint = new RangeFileEndpoint(content) { HonorsRange = false, CutAfter = i => i == 0 ? 40_000_000 : null };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var result = await fetcher.DownloadToFileAsync(server.Url("part.raw"), PartialPath, SixtyFourMiB, null, CancellationToken.None);

        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await File.ReadAllBytesAsync(PartialPath)));
        Assert.Matches(@"^bytes=[1-9]\d*-$", endpoint.Requests.ToArray()[1].Range);
        Assert.Equal((0, 1), (result.Resumes, result.Restarts));
        // What a restart costs: the bytes before the cut, fetched twice.
        Assert.InRange(result.BytesFetched, content.Length + 1, content.Length + 40_000_000L);
    }

    [Fact]
    public async Task A_file_that_changed_between_attempts_is_downloaded_again_from_zero()
    {
        var first = TransportTestData.Payload(6 << 20, seed: 12);
        var second = TransportTestData.Payload(5 << 20, seed: 13);
        var endpoint = new RangeFileEndpoint(first)
        {
            CutAfter = i => i == 0 ? 2 << 20 : null,
            BeforeRequest = (i, e) =>
            {
                if (i == 1)
                {
                    (e.Content, e.ETag, e.LastModified) = (second, "\"v2\"", e.LastModified!.Value.AddHours(1));
                }
            },
        };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var result = await fetcher.DownloadToFileAsync(server.Url("part.raw"), PartialPath, 8 << 20, null, CancellationToken.None);

        Assert.Equal(second, await File.ReadAllBytesAsync(PartialPath));
        Assert.Equal("\"v1\"", endpoint.Requests.ToArray()[1].IfRange);
        Assert.Equal(2, endpoint.Requests.Count);
        Assert.Equal((0, 1), (result.Resumes, result.Restarts));
    }

    [Fact]
    public async Task A_server_that_ignores_If_Range_and_sends_a_piece_of_the_new_file_is_caught_by_its_ETag()
    {
        var first = TransportTestData.Payload(6 << 20, seed: 14);
        var second = TransportTestData.Payload(6 << 20, seed: 15);
        var endpoint = new RangeFileEndpoint(first)
        {
            HonorsIfRange = false,
            CutAfter = i => i == 0 ? 2 << 20 : null,
            BeforeRequest = (i, e) =>
            {
                if (i == 1)
                {
                    (e.Content, e.ETag) = (second, "\"v2\"");
                }
            },
        };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var result = await fetcher.DownloadToFileAsync(server.Url("part.raw"), PartialPath, 8 << 20, null, CancellationToken.None);

        Assert.Equal(second, await File.ReadAllBytesAsync(PartialPath));
        var requests = endpoint.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        Assert.Equal("", requests[2].Range);
        Assert.Equal((0, 1), (result.Resumes, result.Restarts));
    }

    [Fact]
    public async Task A_partial_file_left_by_an_earlier_run_is_continued_from_its_sidecar()
    {
        var content = TransportTestData.Payload(8 << 20, seed: 16);
        var endpoint = new RangeFileEndpoint(content) { CutAfter = i => i == 0 ? 3 << 20 : null };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        var url = server.Url("part.raw");

        using (var impatient = new UrlFetcher(TransportTestData.Options with { MaxRetries = 0 }))
        {
            var error = await Assert.ThrowsAsync<DownloadException>(() => impatient.DownloadToFileAsync(url, PartialPath, 8 << 20, null, CancellationToken.None));
            Assert.Equal(DownloadFailure.ConnectionLost, error.Failure);
        }

        var kept = new FileInfo(PartialPath).Length;
        Assert.InRange(kept, 1, 3 << 20);
        using (var sidecar = JsonDocument.Parse(await File.ReadAllBytesAsync(UrlFetcher.StatePath(PartialPath))))
        {
            Assert.Equal(url.AbsoluteUri, sidecar.RootElement.GetProperty("url").GetString());
            Assert.Equal("\"v1\"", sidecar.RootElement.GetProperty("etag").GetString());
        }

        using var fetcher = new UrlFetcher(TransportTestData.Options);
        var result = await fetcher.DownloadToFileAsync(url, PartialPath, 8 << 20, null, CancellationToken.None);

        Assert.Equal(content, await File.ReadAllBytesAsync(PartialPath));
        Assert.Equal(new DownloadResult(content.Length, content.Length - kept, Resumes: 1, Restarts: 0), result);
        Assert.Equal($"bytes={kept}-", endpoint.Requests.ToArray()[^1].Range);
        Assert.False(File.Exists(UrlFetcher.StatePath(PartialPath)));
    }

    [Theory]
    [InlineData("{\"url\": \"http://elsewhere.example/part.raw\", \"etag\": \"\\\"v1\\\"\"}")]
    [InlineData("{\"url\": \"URL\"}")]
    [InlineData("{not json")]
    [InlineData(null)]
    public async Task A_partial_file_without_a_sidecar_for_this_url_is_started_over(string? sidecar)
    {
        var content = TransportTestData.Payload(2 << 20, seed: 17);
        var endpoint = new RangeFileEndpoint(content);
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        var url = server.Url("part.raw");
        await File.WriteAllBytesAsync(PartialPath, new byte[1 << 20]);
        if (sidecar is not null)
        {
            await File.WriteAllTextAsync(UrlFetcher.StatePath(PartialPath), sidecar.Replace("URL", url.AbsoluteUri));
        }

        using var fetcher = new UrlFetcher(TransportTestData.Options);
        var result = await fetcher.DownloadToFileAsync(url, PartialPath, 4 << 20, null, CancellationToken.None);

        Assert.Equal(content, await File.ReadAllBytesAsync(PartialPath));
        Assert.Equal("", Assert.Single(endpoint.Requests).Range);
        Assert.Equal(content.Length, result.BytesFetched);
    }

    [Fact]
    public async Task Without_ETag_or_Last_Modified_a_cut_download_starts_over_rather_than_trusting_a_range()
    {
        var content = TransportTestData.Payload(4 << 20, seed: 18);
        var endpoint = new RangeFileEndpoint(content, etag: null) { LastModified = null, CutAfter = i => i == 0 ? 1 << 20 : null };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        await fetcher.DownloadToFileAsync(server.Url("part.raw"), PartialPath, 4 << 20, null, CancellationToken.None);

        Assert.Equal(content, await File.ReadAllBytesAsync(PartialPath));
        Assert.All(endpoint.Requests, r => Assert.Equal("", r.Range));
    }

    [Fact]
    public async Task Last_Modified_serves_as_the_validator_when_there_is_no_strong_ETag()
    {
        var content = TransportTestData.Payload(4 << 20, seed: 19);
        var endpoint = new RangeFileEndpoint(content, etag: "W/\"weak\"") { CutAfter = i => i == 0 ? 1 << 20 : null };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var result = await fetcher.DownloadToFileAsync(server.Url("part.raw"), PartialPath, 4 << 20, null, CancellationToken.None);

        Assert.Equal(content, await File.ReadAllBytesAsync(PartialPath));
        Assert.Equal("Wed, 01 May 2024 12:00:00 GMT", endpoint.Requests.ToArray()[1].IfRange);
        Assert.Equal(1, result.Resumes);
    }

    [Fact]
    public async Task Connections_that_keep_breaking_without_progress_are_given_up_after_the_retries()
    {
        var endpoint = new RangeFileEndpoint(TransportTestData.Payload(1 << 20, seed: 20)) { CutAfter = _ => 0 };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.DownloadToFileAsync(server.Url("part.raw"), PartialPath, 1 << 20, null, CancellationToken.None));

        Assert.Equal(DownloadFailure.ConnectionLost, error.Failure);

        // The server aborts right after its headers: on a busy machine they may or may not reach the
        // client first, so the break is seen before the response or after 0 body bytes.
        Assert.Matches("the connection broke (before a response arrived|after 0 bytes)", error.Message);
        Assert.Equal(TransportTestData.Options.MaxRetries + 1, endpoint.Requests.Count);
    }

    [Fact]
    public async Task A_download_larger_than_the_bound_is_refused_and_a_404_is_not_found()
    {
        var endpoint = new RangeFileEndpoint(TransportTestData.Payload(1 << 20, seed: 21));
        await using var server = await TestHttpServer.StartAsync(async (context, stopping) =>
        {
            if (context.Request.Path == "/missing.raw")
            {
                context.Response.StatusCode = 404;
                return;
            }

            await endpoint.HandleAsync(context, stopping);
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var tooLarge = await Assert.ThrowsAsync<DownloadException>(() => fetcher.DownloadToFileAsync(server.Url("part.raw"), PartialPath, (1 << 20) - 1, null, CancellationToken.None));
        var missing = await Assert.ThrowsAsync<DownloadException>(() => fetcher.DownloadToFileAsync(server.Url("missing.raw"), PartialPath, 1 << 20, null, CancellationToken.None));

        Assert.Equal(DownloadFailure.TooLarge, tooLarge.Failure);
        Assert.Equal(DownloadFailure.NotFound, missing.Failure);
        Assert.Equal(0, fetcher.BytesReceived);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; the test wants every report before it asserts.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
