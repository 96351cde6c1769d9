using ImageUpdate.Formats.Casync;
using ImageUpdate.Platform.Transport;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.Transport;

/// <summary>Chunks of a casync store on Kestrel: found, missing, too large, wrong.</summary>
public sealed class RemoteChunkStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_chunk_is_fetched_from_its_casync_path_and_decoded()
    {
        var (chunk, id, stored) = Chunk(1);
        var paths = new List<string>();
        await using var server = await TestHttpServer.StartAsync(async (context, _) =>
        {
            lock (paths)
            {
                paths.Add(context.Request.Path.Value!);
            }

            context.Response.ContentLength = stored.Length;
            await context.Response.Body.WriteAsync(stored);
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options);
        var store = new RemoteChunkStore(fetcher, server.Url("os/default.castr"));
        var destination = new byte[chunk.Length];

        Assert.True(await store.TryReadAsync(new IndexedChunk(0, chunk.Length, id), destination, CancellationToken.None));

        Assert.Equal(chunk, destination);
        Assert.Equal($"/os/default.castr/{id.ToString()[..4]}/{id}.cacnk", Assert.Single(paths));
        Assert.Equal(stored.Length, store.BytesReceived);
    }

    [Fact]
    public async Task A_chunk_the_server_does_not_have_is_not_here()
    {
        var (chunk, id, _) = Chunk(2);
        await using var server = await TestHttpServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = 404;
            return Task.CompletedTask;
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options);
        var store = new RemoteChunkStore(fetcher, server.Url("default.castr/"));

        Assert.False(await store.TryReadAsync(new IndexedChunk(0, chunk.Length, id), new byte[chunk.Length], CancellationToken.None));
    }

    [Fact]
    public async Task A_chunk_larger_than_zstd_needs_is_refused_from_its_announced_length()
    {
        var (chunk, id, _) = Chunk(3);
        var limit = ChunkStore.MaxCompressedLength(chunk.Length);
        var sent = 0L;
        await using var server = await TestHttpServer.StartAsync(async (context, stopping) =>
        {
            context.Response.ContentLength = limit + 1;
            var block = new byte[65536];
            try
            {
                for (var left = limit + 1; left > 0; left -= block.Length)
                {
                    await context.Response.Body.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, left)), stopping);
                    Interlocked.Add(ref sent, block.Length);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
            {
                // The client went away, as it should.
            }
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options);
        var store = new RemoteChunkStore(fetcher, server.Url("default.castr"));

        var e = await Assert.ThrowsAsync<CasyncFormatException>(async () => await store.TryReadAsync(new IndexedChunk(0, chunk.Length, id), new byte[chunk.Length], CancellationToken.None));

        Assert.Contains("is larger than", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.BytesReceived);
    }

    [Fact]
    public async Task A_chunk_with_other_content_is_refused()
    {
        var (chunk, id, _) = Chunk(4);
        var other = ChunkStore.Compress(DeltaBytes(chunk.Length, 5));
        await using var server = await TestHttpServer.StartAsync(async (context, _) =>
        {
            context.Response.ContentLength = other.Length;
            await context.Response.Body.WriteAsync(other);
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options);
        var store = new RemoteChunkStore(fetcher, server.Url("default.castr"));

        var e = await Assert.ThrowsAsync<CasyncFormatException>(async () => await store.TryReadAsync(new IndexedChunk(0, chunk.Length, id), new byte[chunk.Length], CancellationToken.None));
        Assert.Contains("not its name", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_url_store_reads_the_directory_publish_wrote()
    {
        var (chunk, id, _) = Chunk(6);
        var local = new ChunkStore(_dir["default.castr"]);
        local.Add(id, chunk);
        using var fetcher = new UrlFetcher(TransportTestData.Options);
        var store = new RemoteChunkStore(fetcher, new Uri("file://" + _dir["default.castr"]));
        var destination = new byte[chunk.Length];

        Assert.True(await store.TryReadAsync(new IndexedChunk(0, chunk.Length, id), destination, CancellationToken.None));
        Assert.Equal(chunk, destination);
        Assert.False(await store.TryReadAsync(new IndexedChunk(0, 10, ChunkId.Compute(new byte[10])), new byte[10], CancellationToken.None));
    }

    private static (byte[] Chunk, ChunkId Id, byte[] Stored) Chunk(int seed)
    {
        var chunk = DeltaBytes(70_000, seed);
        return (chunk, ChunkId.Compute(chunk), ChunkStore.Compress(chunk));
    }

    private static byte[] DeltaBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
