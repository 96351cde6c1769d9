using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Staging;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Tests.Update.Staging;

/// <summary>
/// `fetch --have VERSION` against a Kestrel server laid out as `publish --chunk-store` lays it out:
/// only the chunks VERSION's index lacks are fetched and staged, as one pack beside the new index;
/// anything that makes a delta impossible stages the whole file; a bad chunk is refused.
/// </summary>
public sealed class StagingDeltaFetchTests : IAsyncDisposable
{
    private const int Size = 4 << 20;

    private readonly TempDirectory _dir = new();
    private readonly SigningKey _key = new();
    private readonly ChunkedOsServer _server;
    private readonly InfoLogger _log = new();

    public StagingDeltaFetchTests()
    {
        _server = new ChunkedOsServer(_dir);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
        _key.Dispose();
    }

    [Fact]
    public async Task Have_stages_only_the_chunks_the_installed_version_lacks()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        await Serve(v1, v2);

        Assert.Equal("2", await FetchAsync("1"));

        Assert.Equal(["SHA256SUMS", "SHA256SUMS.gpg", StagingFetch.ChunkPackName, "os_2.raw.caibx"], Staged());
        // v1's last chunk was cut by the end of its file, which a slot holding v1 does not have: it counts as lacking.
        var expected = _server.Index("2").Chunks.Select(c => c.Id).Except(_server.Index("1").Chunks.SkipLast(1).Select(c => c.Id)).Order().ToList();
        await using var pack = File.OpenRead(_dir["staging/" + StagingFetch.ChunkPackName]);
        Assert.Equal(expected, ChunkPack.Read(pack, "pack").Ids);
        Assert.InRange(expected.Count, 3, 12);
        Assert.DoesNotContain("os_2.raw", _server.Requests);
        Assert.True(_server.BytesSent < Size / 4, $"the server sent {_server.BytesSent} bytes for a {Size}-byte file");
        Assert.Equal(File.ReadAllBytes(Path.Combine(_server.Root, "os_2.raw.caibx")), File.ReadAllBytes(_dir["staging/os_2.raw.caibx"]));
        Assert.Contains(_log.Messages, m => m.StartsWith($"Staged {expected.Count} chunks (", StringComparison.Ordinal) && m.EndsWith($"that version '1' lacks, instead of {Size} bytes of whole files.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_installed_versions_last_chunk_is_staged_as_a_slot_larger_than_the_file_lacks_it()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        await Serve(v1, v2);
        var last = _server.Index("1").Chunks[^1];
        Assert.Contains(_server.Index("2").Chunks, c => c.Id == last.Id);

        await FetchAsync("1");

        await using var pack = File.OpenRead(_dir["staging/" + StagingFetch.ChunkPackName]);
        Assert.Contains(last.Id, ChunkPack.Read(pack, "pack").Ids);
    }

    [Fact]
    public async Task A_second_fetch_takes_the_chunks_from_the_staged_pack()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        await Serve(v1, v2);
        await FetchAsync("1");
        var pack = File.ReadAllBytes(_dir["staging/" + StagingFetch.ChunkPackName]);
        var requests = _server.Requests.Count;

        await FetchAsync("1");

        Assert.DoesNotContain(_server.Requests.Skip(requests), r => r.StartsWith("default.castr/", StringComparison.Ordinal));
        Assert.Equal(pack, File.ReadAllBytes(_dir["staging/" + StagingFetch.ChunkPackName]));
    }

    [Fact]
    public async Task Without_have_the_whole_file_is_staged_as_before()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        await Serve(v1, v2);

        await FetchAsync(null);

        Assert.Equal(["SHA256SUMS", "SHA256SUMS.gpg", "os_2.raw"], Staged());
        Assert.Equal(v2, File.ReadAllBytes(_dir["staging/os_2.raw"]));
    }

    [Fact]
    public async Task When_the_old_index_is_not_listed_the_whole_file_is_staged_and_the_log_says_why()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        await Serve(v1, v2, listed: name => name != "os_1.raw.caibx");

        await FetchAsync("1");

        Assert.Equal(["SHA256SUMS", "SHA256SUMS.gpg", "os_2.raw"], Staged());
        Assert.Contains("The server lists no index of version '1' beside 'os_2.raw': staging the whole file.", _log.Messages);
    }

    [Fact]
    public async Task When_the_old_index_is_gone_from_the_server_the_whole_file_is_staged()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        await Serve(v1, v2);
        File.Delete(Path.Combine(_server.Root, "os_1.raw.caibx"));

        await FetchAsync("1");

        Assert.Equal(["SHA256SUMS", "SHA256SUMS.gpg", "os_2.raw"], Staged());
        Assert.Contains("The server has no index 'os_1.raw.caibx' any more: staging 'os_2.raw' whole.", _log.Messages);
    }

    [Fact]
    public async Task A_version_the_server_does_not_offer_any_more_stages_the_whole_file()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        await Serve(v1, v2);

        await FetchAsync("0.9");

        Assert.Equal(["SHA256SUMS", "SHA256SUMS.gpg", "os_2.raw"], Staged());
        Assert.Contains("The server lists no index of version '0.9' beside 'os_2.raw': staging the whole file.", _log.Messages);
    }

    [Fact]
    public async Task A_store_missing_a_chunk_stages_the_whole_file()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        await Serve(v1, v2);
        var missing = NewChunks().First();
        File.Delete(_server.Store.PathOf(missing));

        await FetchAsync("1");

        Assert.Equal(["SHA256SUMS", "SHA256SUMS.gpg", "os_2.raw"], Staged());
        Assert.Contains($"The server's chunk store has no chunk {missing}: staging whole files instead.", _log.Messages);
    }

    [Fact]
    public async Task A_tampered_chunk_on_the_server_is_refused_and_nothing_looks_staged()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        await Serve(v1, v2);
        var tampered = NewChunks().First();
        File.WriteAllBytes(_server.Store.PathOf(tampered), ChunkStore.Compress(CasyncTestDataBytes()));

        var error = await Assert.ThrowsAsync<CasyncFormatException>(() => FetchAsync("1"));

        var hex = tampered.ToString();
        Assert.StartsWith($"The chunk '{_server.Url}/default.castr/{hex[..4]}/{hex}.cacnk' ", error.Message, StringComparison.Ordinal);
        Assert.Empty(Staged());
    }

    [Fact]
    public async Task An_oversized_chunk_is_refused_unread()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        await Serve(v1, v2);
        var chunk = NewChunks().First();
        File.WriteAllBytes(_server.Store.PathOf(chunk), new byte[2 << 20]);

        var error = await Assert.ThrowsAsync<ImageUpdate.Platform.Transport.DownloadException>(() => FetchAsync("1"));

        Assert.Contains($"the server announces {2 << 20} bytes, more than the limit of", error.Message, StringComparison.Ordinal);
        Assert.Empty(Staged());
    }

    [Fact]
    public async Task A_tampered_index_is_refused_before_it_is_parsed()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        await Serve(v1, v2);
        File.WriteAllBytes(Path.Combine(_server.Root, "os_2.raw.caibx"), [1, 2, 3]);

        var error = await Assert.ThrowsAsync<ImageUpdate.Foundation.Errors.VerificationException>(() => FetchAsync("1"));

        Assert.Equal($"'os_2.raw.caibx' from {_server.Url}/os_2.raw.caibx does not match its SHA256SUMS line.", error.Message);
    }

    private IEnumerable<ChunkId> NewChunks() =>
        _server.Index("2").Chunks.Select(c => c.Id).Except(_server.Index("1").Chunks.Select(c => c.Id));

    private static byte[] CasyncTestDataBytes() => ImageUpdate.Tests.Formats.Casync.CasyncTestData.Random(30_000, 99);

    private async Task Serve(byte[] v1, byte[] v2, Func<string, bool>? listed = null)
    {
        await _server.PublishAsync(_key, new Dictionary<string, byte[]> { ["1"] = v1, ["2"] = v2 }, listed);
        _server.Define(_key);
        await _server.StartAsync();
    }

    private async Task<string?> FetchAsync(string? have)
    {
        var options = new EngineOptions { DefinitionsDirectory = _dir["defs"], Keyring = _dir["keyring.gpg"] };
        return await new StagingFetch(options, _log) { Have = have }.RunAsync(_server.Url, _dir["staging"], TestContext.Current.CancellationToken);
    }

    private string[] Staged() =>
        [.. Directory.GetFiles(_dir["staging"]).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Order(StringComparer.Ordinal)!];

    private sealed class InfoLogger : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add(formatter(state, exception));
            }
        }
    }
}
