using System.Buffers;

namespace ImageUpdate.Formats.Casync;

/// <summary>
/// A file as casync sees it with `casync make X.caibx FILE` and `casync extract X.caibx FILE`: cut
/// into chunks by <see cref="CasyncChunker"/>, each chunk named by its SHA-512/256 and kept in a
/// <see cref="ChunkStore"/>. Both directions stream: memory is one read buffer and one chunk.
/// </summary>
public static class CasyncBlob
{
    private const int ReadBufferSize = 1 << 20;

    /// <summary>
    /// Chunks <paramref name="input"/> to its end and returns its index, adding every chunk to
    /// <paramref name="store"/> when one is given. The result is the index `casync make` writes.
    /// </summary>
    public static async Task<CasyncIndex> IndexAsync(Stream input, ChunkStore? store, ChunkSizeLimits sizes, CancellationToken cancellationToken)
    {
        var chunker = new CasyncChunker(sizes);
        var chunks = new List<IndexedChunk>();
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        // A chunk is at most the maximum, or the window size when casync's window-full test is the first to cut.
        var pending = ArrayPool<byte>.Shared.Rent((int)Math.Max(sizes.Maximum, Buzhash.WindowSize));
        var pendingLength = 0;
        var offset = 0L;
        try
        {
            while (true)
            {
                var read = await input.ReadAsync(buffer.AsMemory(0, ReadBufferSize), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                var position = 0;
                while (position < read)
                {
                    var remaining = buffer.AsSpan(position, read - position);
                    var cut = chunker.Scan(remaining);
                    if (cut < 0)
                    {
                        remaining.CopyTo(pending.AsSpan(pendingLength));
                        pendingLength += remaining.Length;
                        break;
                    }

                    ReadOnlySpan<byte> chunk;
                    if (pendingLength == 0)
                    {
                        chunk = remaining[..cut];
                    }
                    else
                    {
                        remaining[..cut].CopyTo(pending.AsSpan(pendingLength));
                        chunk = pending.AsSpan(0, pendingLength + cut);
                    }

                    chunks.Add(Emit(chunk, offset, store));
                    offset += chunk.Length;
                    pendingLength = 0;
                    position += cut;
                }
            }

            if (pendingLength > 0)
            {
                chunks.Add(Emit(pending.AsSpan(0, pendingLength), offset, store));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pending);
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return new CasyncIndex(CasyncIndex.BlobFeatureFlags, sizes, chunks);
    }

    /// <summary>
    /// Writes the blob <paramref name="index"/> describes to <paramref name="output"/>, every chunk
    /// read from <paramref name="store"/> and checked against its ID and size before it is written.
    /// </summary>
    public static async Task ExtractAsync(CasyncIndex index, ChunkStore store, Stream output, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)index.Sizes.Maximum);
        try
        {
            foreach (var chunk in index.Chunks)
            {
                cancellationToken.ThrowIfCancellationRequested();
                store.Read(chunk.Id, buffer.AsSpan(0, chunk.Length));
                await output.WriteAsync(buffer.AsMemory(0, chunk.Length), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static IndexedChunk Emit(ReadOnlySpan<byte> chunk, long offset, ChunkStore? store)
    {
        var id = ChunkId.Compute(chunk);
        store?.Add(id, chunk);
        return new IndexedChunk(offset, chunk.Length, id);
    }
}
