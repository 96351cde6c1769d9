using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ImageUpdate.Platform.Transport;
using ImageUpdate.Tests.Platform.FileSystem;
using ImageUpdate.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace ImageUpdate.Tests.Platform.Transport;

/// <summary>Small files, bounded streams, stalls and statuses against Kestrel on 127.0.0.1, and file:// URLs.</summary>
public sealed class UrlFetcherTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task GetSmallAsync_returns_the_body_and_names_image_update_as_the_agent()
    {
        var content = TransportTestData.Payload(5000, seed: 1);
        var endpoint = new RangeFileEndpoint(content);
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var body = await fetcher.GetSmallAsync(server.Url("SHA256SUMS"), 1 << 20, CancellationToken.None);

        Assert.Equal(content, body);
        Assert.Equal(content.Length, fetcher.BytesReceived);
        Assert.StartsWith("image-update/", Assert.Single(endpoint.Requests).UserAgent);
    }

    [Fact]
    public async Task The_streams_refuse_synchronous_readers_and_resume_for_asynchronous_ones()
    {
        var content = TransportTestData.Payload(2 << 20, seed: 9);
        var endpoint = new RangeFileEndpoint(content) { CutAfter = i => i == 0 ? 1 << 20 : null };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        await using var stream = await fetcher.OpenResumableAsync(server.Url("part.raw"), 2 << 20, CancellationToken.None);
        Assert.Throws<NotSupportedException>(() => stream.ReadByte());
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(content, copy.ToArray());
        Assert.Equal(2, endpoint.Requests.Count);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(410)]
    public async Task A_missing_file_is_null_for_GetSmallAsync_and_NotFound_for_OpenAsync(int status)
    {
        await using var server = await TestHttpServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        Assert.Null(await fetcher.GetSmallAsync(server.Url("SHA256SUMS.gpg"), 1 << 20, CancellationToken.None));
        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.OpenAsync(server.Url("part.raw"), 1 << 20, CancellationToken.None));
        Assert.Equal(DownloadFailure.NotFound, error.Failure);
        Assert.Equal(status, error.StatusCode);
        Assert.Contains($"/part.raw: the server answered {status}", error.Message);
    }

    [Theory]
    [InlineData(403, DownloadFailure.HttpStatus, 1)]
    [InlineData(503, DownloadFailure.ServerBusy, 4)]
    public async Task Statuses_that_retrying_may_cure_are_retried_and_others_are_not(int status, DownloadFailure failure, int requests)
    {
        var count = 0;
        await using var server = await TestHttpServer.StartAsync((context, _) =>
        {
            Interlocked.Increment(ref count);
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.GetSmallAsync(server.Url("SHA256SUMS"), 1 << 20, CancellationToken.None));

        Assert.Equal(failure, error.Failure);
        Assert.Equal(requests, count);
    }

    [Fact]
    public async Task A_server_that_recovers_after_a_503_is_retried_until_it_answers()
    {
        var count = 0;
        await using var server = await TestHttpServer.StartAsync(async (context, _) =>
        {
            if (Interlocked.Increment(ref count) < 3)
            {
                context.Response.StatusCode = 503;
                return;
            }

            await context.Response.Body.WriteAsync("ok"u8.ToArray());
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        Assert.Equal("ok"u8.ToArray(), await fetcher.GetSmallAsync(server.Url("SHA256SUMS"), 100, CancellationToken.None));
        Assert.Equal(3, count);
    }

    [Fact]
    public async Task A_body_announced_larger_than_the_bound_is_refused_before_a_byte_is_read()
    {
        var endpoint = new RangeFileEndpoint(TransportTestData.Payload(1 << 20, seed: 2));
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.GetSmallAsync(server.Url("SHA256SUMS"), 4096, CancellationToken.None));

        Assert.Equal(DownloadFailure.TooLarge, error.Failure);
        Assert.Contains("announces 1048576 bytes, more than the limit of 4096 bytes", error.Message);
        Assert.Equal(0, fetcher.BytesReceived);
    }

    [Fact]
    public async Task An_endless_response_stops_one_byte_past_the_bound()
    {
        const long bound = 3 * 1024 * 1024 + 5;
        long served = 0;
        await using var server = await TestHttpServer.StartAsync(async (context, stopping) =>
        {
            // No Content-Length: chunked, and it never ends.
            var chunk = new byte[64 * 1024];
            while (!context.RequestAborted.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                Interlocked.Add(ref served, chunk.Length);
            }
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        await using var stream = await fetcher.OpenAsync(server.Url("part.raw"), bound, CancellationToken.None);
        var error = await Assert.ThrowsAsync<DownloadException>(() => stream.CopyToAsync(Stream.Null));

        Assert.Equal(DownloadFailure.TooLarge, error.Failure);
        Assert.Contains("larger than the limit of 3145733 bytes", error.Message);
        Assert.InRange(fetcher.BytesReceived, bound + 1, bound + 1);
        Assert.True(Interlocked.Read(ref served) < 64 * bound, "the server kept being read");
    }

    [Fact]
    public async Task A_server_that_stalls_mid_body_is_abandoned_after_the_stall_timeout()
    {
        var requests = 0;
        await using var server = await TestHttpServer.StartAsync(async (context, stopping) =>
        {
            Interlocked.Increment(ref requests);
            context.Response.ContentLength = 1000;
            await context.Response.Body.WriteAsync(new byte[10]);
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(stopping, context.RequestAborted).Token)
                .ContinueWith(_ => { }, TaskScheduler.Default);
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options with { StallTimeout = TimeSpan.FromSeconds(1) });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.DownloadToFileAsync(server.Url("part.raw"), _directory.Combine("part.raw.partial"), 1 << 20, null, CancellationToken.None));

        Assert.Equal(DownloadFailure.Stalled, error.Failure);
        Assert.Matches(@"^Could not download http://127\.0\.0\.1:\d+/part\.raw: no data arrived for 1 s after 10 bytes\.$", error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
        Assert.Equal(1, requests);
    }

    [Fact]
    public async Task A_server_that_never_sends_headers_is_abandoned_after_the_connect_and_stall_timeouts()
    {
        await using var server = await TestHttpServer.StartAsync(async (context, stopping) =>
            await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(stopping, context.RequestAborted).Token)
                .ContinueWith(_ => { }, TaskScheduler.Default));
        using var fetcher = new UrlFetcher(TransportTestData.Options with { ConnectTimeout = TimeSpan.FromSeconds(0.5), StallTimeout = TimeSpan.FromSeconds(0.5) });

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.GetSmallAsync(server.Url("SHA256SUMS"), 100, CancellationToken.None));

        Assert.Equal(DownloadFailure.Stalled, error.Failure);
        Assert.Contains("no response arrived within 1 s", error.Message);
    }

    [Fact]
    public async Task A_refused_connection_is_retried_then_reported()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.GetSmallAsync(new Uri($"http://127.0.0.1:{port}/SHA256SUMS"), 100, CancellationToken.None));

        Assert.Equal(DownloadFailure.ConnectFailed, error.Failure);
        Assert.StartsWith($"Could not download http://127.0.0.1:{port}/SHA256SUMS: could not connect (", error.Message);
    }

    [Fact]
    public async Task OpenAsync_reports_a_connection_cut_mid_body()
    {
        var endpoint = new RangeFileEndpoint(TransportTestData.Payload(4 << 20, seed: 3)) { CutAfter = i => i == 0 ? 1 << 20 : null };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        await using var stream = await fetcher.OpenAsync(server.Url("part.raw"), 8 << 20, CancellationToken.None);
        var error = await Assert.ThrowsAsync<DownloadException>(() => stream.CopyToAsync(Stream.Null));

        Assert.Equal(DownloadFailure.ConnectionLost, error.Failure);
        Assert.Contains("the connection broke after", error.Message);
    }

    [Fact]
    public async Task OpenResumableAsync_continues_the_same_stream_after_a_cut()
    {
        var content = TransportTestData.Payload(16 << 20, seed: 4);
        var endpoint = new RangeFileEndpoint(content) { CutAfter = i => i < 2 ? (5 << 20) + 123 : null };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        await using var stream = await fetcher.OpenResumableAsync(server.Url("part.raw"), 16 << 20, CancellationToken.None);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[100_000];
        int count;
        while ((count = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, count);
        }

        Assert.Equal(SHA256.HashData(content), hash.GetHashAndReset());
        var requests = endpoint.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        Assert.Equal(("", ""), (requests[0].Range, requests[0].IfRange));
        Assert.All(requests[1..], r => Assert.Matches(@"^bytes=[1-9]\d*-$", r.Range));
        Assert.All(requests[1..], r => Assert.Equal("\"v1\"", r.IfRange));
        Assert.Equal(content.Length, fetcher.BytesReceived);
    }

    [Fact]
    public async Task OpenResumableAsync_refuses_to_continue_a_file_that_changed()
    {
        var endpoint = new RangeFileEndpoint(TransportTestData.Payload(4 << 20, seed: 5))
        {
            CutAfter = i => i == 0 ? 1 << 20 : null,
            BeforeRequest = (i, e) =>
            {
                if (i == 1)
                {
                    (e.Content, e.ETag) = (TransportTestData.Payload(4 << 20, seed: 6), "\"v2\"");
                }
            },
        };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        await using var stream = await fetcher.OpenResumableAsync(server.Url("part.raw"), 8 << 20, CancellationToken.None);
        var error = await Assert.ThrowsAsync<DownloadException>(() => stream.CopyToAsync(Stream.Null));

        Assert.Equal(DownloadFailure.Changed, error.Failure);
        Assert.Contains("the server sent the whole file again", error.Message);
    }

    [Fact]
    public async Task OpenResumableAsync_without_validators_reports_the_cut()
    {
        var endpoint = new RangeFileEndpoint(TransportTestData.Payload(4 << 20, seed: 7), etag: null) { LastModified = null, CutAfter = i => i == 0 ? 1 << 20 : null };
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        await using var stream = await fetcher.OpenResumableAsync(server.Url("part.raw"), 8 << 20, CancellationToken.None);
        var error = await Assert.ThrowsAsync<DownloadException>(() => stream.CopyToAsync(Stream.Null));

        Assert.Equal(DownloadFailure.ConnectionLost, error.Failure);
        Assert.Contains("no ETag or Last-Modified to resume with", error.Message);
        Assert.Single(endpoint.Requests);
    }

    [Fact]
    public async Task File_urls_read_the_local_file_and_report_a_missing_one_as_not_found()
    {
        var content = TransportTestData.Payload(70_000, seed: 8);
        var path = _directory.Combine("SHA 256SUMS");
        await File.WriteAllBytesAsync(path, content);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        Assert.Equal(content, await fetcher.GetSmallAsync(new Uri(path), 1 << 20, CancellationToken.None));
        Assert.Null(await fetcher.GetSmallAsync(new Uri(_directory.Combine("SHA256SUMS.gpg")), 1 << 20, CancellationToken.None));
        var result = await fetcher.DownloadToFileAsync(new Uri(path), _directory.Combine("copy.partial"), 1 << 20, null, CancellationToken.None);
        Assert.Equal(content, await File.ReadAllBytesAsync(_directory.Combine("copy.partial")));
        Assert.Equal(new DownloadResult(content.Length, content.Length, 0, 0), result);
    }

    [Fact]
    public async Task File_urls_enforce_the_bound()
    {
        var path = _directory.Combine("part.raw");
        await File.WriteAllBytesAsync(path, new byte[10_000]);
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.OpenAsync(new Uri(path), 9_999, CancellationToken.None));

        Assert.Equal(DownloadFailure.TooLarge, error.Failure);
        Assert.Equal($"Could not download file://{path}: the file has 10000 bytes, more than the limit of 9999 bytes.", error.Message);
    }

    [Fact]
    public async Task A_file_url_fifo_without_a_size_is_bounded_as_it_is_read()
    {
        var path = _directory.Combine("fifo");
        Tool.Run("mkfifo", path);
        var writer = Task.Run(async () =>
        {
            await using var fifo = new FileStream(path, FileMode.Open, FileAccess.Write);
            try
            {
                await fifo.WriteAsync(new byte[200_000]);
            }
            catch (IOException)
            {
                // The reader went away at the bound: a broken pipe is expected.
            }
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.GetSmallAsync(new Uri(path), 100_000, CancellationToken.None));
        await writer;

        Assert.Equal(DownloadFailure.TooLarge, error.Failure);
        Assert.Equal(100_001, fetcher.BytesReceived);
    }

    [Fact]
    public async Task A_file_url_naming_another_host_is_refused()
    {
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.GetSmallAsync(new Uri("file://server/share/SHA256SUMS"), 100, CancellationToken.None));

        Assert.Equal(DownloadFailure.LocalFile, error.Failure);
        Assert.Contains("must not name a host other than localhost", error.Message);
    }

    [Theory]
    [InlineData("ftp://example.com/SHA256SUMS")]
    [InlineData("gopher://example.com/SHA256SUMS")]
    public async Task Urls_other_than_http_https_and_file_are_refused(string url)
    {
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.OpenAsync(new Uri(url), 100, CancellationToken.None));

        Assert.Equal(DownloadFailure.UnsupportedScheme, error.Failure);
        Assert.Equal($"Could not download {url}: only http, https and file URLs are supported.", error.Message);
    }

    [Fact]
    public async Task An_untrusted_certificate_is_refused_and_only_the_test_hook_accepts_it()
    {
        using var certificate = SelfSignedCertificate();
        await using var server = await TestHttpServer.StartAsync(async (context, _) => await context.Response.Body.WriteAsync("signed"u8.ToArray()), certificate);
        var url = server.Url("SHA256SUMS");
        Assert.Equal("https", url.Scheme);

        using (var strict = new UrlFetcher(TransportTestData.Options))
        {
            var error = await Assert.ThrowsAsync<DownloadException>(() => strict.GetSmallAsync(url, 100, CancellationToken.None));
            Assert.Equal(DownloadFailure.Tls, error.Failure);
            Assert.Contains("the TLS connection failed", error.Message);
        }

        using var trusting = new UrlFetcher(TransportTestData.Options with { CertificateValidationForTests = (_, _, _, _) => true });
        Assert.Equal("signed"u8.ToArray(), await trusting.GetSmallAsync(url, 100, CancellationToken.None));
    }

    [Fact]
    public async Task Download_errors_do_not_show_credentials_from_the_url()
    {
        await using var server = await TestHttpServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options);

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.GetSmallAsync(new Uri($"http://alice:hunter2@127.0.0.1:{server.Port}/x%0Ay"), 100, CancellationToken.None));

        Assert.Equal($"Could not download http://127.0.0.1:{server.Port}/x%0Ay: the server answered 403 Forbidden.", error.Message);
    }

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Kestrel on Linux needs the key in a loadable form, not the ephemeral one.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
    }
}
