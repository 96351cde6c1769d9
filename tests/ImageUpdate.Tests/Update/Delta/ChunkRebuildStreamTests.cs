using ImageUpdate.Formats.Casync;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Delta;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Update.Delta;

/// <summary>
/// The rebuild of a blob from its index: seeds first (each chunk used only when its hash matches),
/// then the remote source (every chunk checked, a wrong one refused), in order, with a bounded window.
/// </summary>
public sealed class ChunkRebuildStreamTests : IDisposable
{
    private readonly TempDirectory _dir = new("image-update-rebuild-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task From_the_store_alone_every_chunk_is_fetched_and_the_blob_comes_out_in_order()
    {
        var blob = DeltaTestData.Random(3 << 20, 1);
        var store = new ChunkStore(_dir["store"]);
        var index = await DeltaTestData.IndexAsync(blob, store);
        var remote = new CountingStoreSource(store);
        var counters = new DeltaCounters();

        await using var stream = new ChunkRebuildStream(index, [], remote, "the store", counters, null, NullLogger.Instance);

        Assert.Equal(blob, await DeltaTestData.ReadAllAsync(stream));
        Assert.Equal(index.Chunks.Count, remote.Requests);
        Assert.Equal(blob.Length, counters.Fetched);
        Assert.Equal(0, counters.Reused);
        Assert.Equal(blob.Length, stream.ExpectedLength);
    }

    [Fact]
    public async Task Chunks_a_seed_has_are_taken_from_it_and_only_the_rest_is_fetched()
    {
        var v1 = DeltaTestData.Random(4 << 20, 2);
        var v2 = DeltaTestData.Rewrite(v1, 0.05, 3);
        File.WriteAllBytes(_dir["v1.raw"], v1);
        var store = new ChunkStore(_dir["store"]);
        var index = await DeltaTestData.IndexAsync(v2, store);
        var remote = new CountingStoreSource(store);
        var counters = new DeltaCounters();
        using var seed = await SeedFile.OpenAsync(new Seed(_dir["v1.raw"]), index.Sizes, CancellationToken.None);

        await using (var stream = new ChunkRebuildStream(index, [seed], remote, "the store", counters, null, NullLogger.Instance))
        {
            Assert.Equal(v2, await DeltaTestData.ReadAllAsync(stream));
        }

        var notInSeed = index.Chunks.Where(c => !seed.Contains(c.Id)).ToList();
        Assert.NotEmpty(notInSeed);
        Assert.Equal(notInSeed.Count, remote.Requests);
        Assert.Equal(notInSeed.Sum(c => (long)c.Length), counters.Fetched);
        Assert.Equal(v2.Length - counters.Fetched, counters.Reused);
        Assert.True(counters.Fetched < v2.Length / 4, $"{counters.Fetched} bytes fetched of {v2.Length}");
    }

    [Fact]
    public async Task A_seed_that_changed_after_it_was_chunked_is_passed_over_and_the_store_supplies_the_chunk()
    {
        var v1 = DeltaTestData.Random(2 << 20, 4);
        File.WriteAllBytes(_dir["v1.raw"], v1);
        var store = new ChunkStore(_dir["store"]);
        var index = await DeltaTestData.IndexAsync(v1, store);
        using var seed = await SeedFile.OpenAsync(new Seed(_dir["v1.raw"]), index.Sizes, CancellationToken.None);

        // The seed's bytes change under it: the map still points at them, the hash no longer matches.
        var changed = (byte[])v1.Clone();
        changed.AsSpan(0, 300_000).Clear();
        File.WriteAllBytes(_dir["v1.raw"], changed);
        var remote = new CountingStoreSource(store);
        var counters = new DeltaCounters();

        await using var stream = new ChunkRebuildStream(index, [seed], remote, "the store", counters, null, NullLogger.Instance);

        Assert.Equal(v1, await DeltaTestData.ReadAllAsync(stream));
        Assert.True(remote.Requests > 0);
        Assert.Equal(index.Chunks.Where(c => c.Offset < 300_000).Sum(c => (long)c.Length), counters.Fetched);
    }

    [Fact]
    public async Task A_chunk_the_remote_source_sends_wrong_is_refused_as_a_verification_failure()
    {
        var blob = DeltaTestData.Random(1 << 20, 5);
        var store = new ChunkStore(_dir["store"]);
        var index = await DeltaTestData.IndexAsync(blob, store);
        var wrong = index.Chunks[2];
        var remote = new CountingStoreSource(store)
        {
            // A source that claims to have the chunk and hands back other bytes of the right size.
            Override = (chunk, destination) =>
            {
                store.Read(chunk.Id, destination.Span);
                if (chunk == wrong)
                {
                    destination.Span[10] ^= 1;
                }

                return true;
            },
        };

        await using var stream = new ChunkRebuildStream(index, [], remote, "the store", new DeltaCounters(), (_, _) => throw new InvalidOperationException("no fallback for a bad chunk"), NullLogger.Instance);

        var e = await Assert.ThrowsAsync<VerificationException>(() => DeltaTestData.ReadAllAsync(stream));
        Assert.Contains(wrong.Id.ToString(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunk_from_a_store_that_does_not_decode_to_its_id_is_refused()
    {
        var blob = DeltaTestData.Random(1 << 20, 6);
        var store = new ChunkStore(_dir["store"]);
        var index = await DeltaTestData.IndexAsync(blob, store);
        var tampered = index.Chunks[1];
        File.WriteAllBytes(store.PathOf(tampered.Id), ChunkStore.Compress(DeltaTestData.Random(tampered.Length, 7)));

        await using var stream = new ChunkRebuildStream(index, [], new CountingStoreSource(store), "the store", new DeltaCounters(), null, NullLogger.Instance);

        var e = await Assert.ThrowsAsync<VerificationException>(() => DeltaTestData.ReadAllAsync(stream));
        Assert.IsType<CasyncFormatException>(e.InnerException);
    }

    [Fact]
    public async Task A_chunk_nobody_has_continues_with_the_whole_file_from_where_the_rebuild_was()
    {
        var blob = DeltaTestData.Random(2 << 20, 8);
        var store = new ChunkStore(_dir["store"]);
        var index = await DeltaTestData.IndexAsync(blob, store);
        store.Remove(index.Chunks[5].Id);
        long? skipped = null;
        var logger = new CollectingLogger();

        await using var stream = new ChunkRebuildStream(
            index,
            [],
            new CountingStoreSource(store),
            "the store",
            new DeltaCounters(),
            (skip, _) =>
            {
                skipped = skip;
                return Task.FromResult<Stream>(new MemoryStream(blob, (int)skip, blob.Length - (int)skip));
            },
            logger);

        Assert.Equal(blob, await DeltaTestData.ReadAllAsync(stream));
        Assert.Equal(index.Chunks[5].Offset, skipped);
        Assert.Contains(logger.Messages, m => m.StartsWith("Falling back to downloading the whole file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_chunk_nobody_has_without_a_whole_file_is_an_error()
    {
        var blob = DeltaTestData.Random(1 << 20, 9);
        var store = new ChunkStore(_dir["store"]);
        var index = await DeltaTestData.IndexAsync(blob, store);
        store.Remove(index.Chunks[3].Id);

        await using var stream = new ChunkRebuildStream(index, [], new CountingStoreSource(store), "the store", new DeltaCounters(), null, NullLogger.Instance);

        var e = await Assert.ThrowsAsync<UpdateException>(() => DeltaTestData.ReadAllAsync(stream));
        Assert.Contains(index.Chunks[3].Id.ToString(), e.Message, StringComparison.Ordinal);
    }

    /// <summary>Review finding: a read cancelled while it waited for a chunk took that chunk off the queue, and the next read went on with the one after it.</summary>
    [Fact]
    public async Task A_read_cancelled_while_it_waits_for_a_chunk_leaves_that_chunk_for_the_next_read()
    {
        var blob = DeltaTestData.Random(1 << 20, 14);
        var store = new ChunkStore(_dir["store"]);
        var index = await DeltaTestData.IndexAsync(blob, store);
        Assert.True(index.Chunks.Count >= 3);
        var held = index.Chunks[1];
        using var release = new ManualResetEventSlim();
        var source = new CountingStoreSource(store)
        {
            Override = (chunk, destination) =>
            {
                if (chunk == held)
                {
                    release.Wait(TestContext.Current.CancellationToken);
                }

                store.Read(chunk.Id, destination.Span);
                return true;
            },
        };

        await using var stream = new ChunkRebuildStream(index, [], source, "the store", new DeltaCounters(), null, NullLogger.Instance);
        var first = new byte[index.Chunks[0].Length];
        await stream.ReadExactlyAsync(first);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await stream.ReadAtLeastAsync(new byte[4096], 1, cancellationToken: cancel.Token));
        }

        release.Set();
        var rest = await DeltaTestData.ReadAllAsync(stream);

        Assert.Equal(blob, first.Concat(rest).ToArray());
    }

    [Fact]
    public async Task Memory_is_the_window_of_chunk_buffers_whatever_the_size_of_the_blob()
    {
        // 1 GiB of one repeated 256 KiB chunk: the blob is never held, only the window is.
        var chunk = DeltaTestData.Random((int)ChunkSizeLimits.Default.Maximum, 10);
        var id = ChunkId.Compute(chunk);
        var chunks = Enumerable.Range(0, 4096).Select(i => new IndexedChunk((long)i * chunk.Length, chunk.Length, id)).ToList();
        var index = new CasyncIndex(CasyncIndex.BlobFeatureFlags, ChunkSizeLimits.Default, chunks);
        var source = new CountingStoreSource(new ChunkStore(_dir["unused"]))
        {
            Override = (_, destination) =>
            {
                chunk.CopyTo(destination);
                return true;
            },
        };

        await using var stream = new ChunkRebuildStream(index, [], source, "the source", new DeltaCounters(), null, NullLogger.Instance);
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        Assert.Equal(1L << 30, total);
        Assert.True(source.DistinctBuffers <= stream.Parallelism, $"{source.DistinctBuffers} buffers");
        Assert.True(source.BufferBytes <= ChunkRebuildStream.WindowBytes, $"{source.BufferBytes} bytes of buffers");
    }
}
