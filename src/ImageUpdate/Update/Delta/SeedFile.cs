using ImageUpdate.Formats.Casync;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Update.Delta;

/// <summary>
/// A local file or block device whose chunks a rebuild may reuse: an installed instance of the same
/// transfer, an interrupted copy, or a --seed. It is chunked here with the index's own chunk sizes
/// (content-defined cuts fall in the same places in unchanged regions whatever precedes them), so
/// the map from chunk ID to offset is only as good as the bytes were when they were read: the
/// rebuild hashes every chunk it takes from a seed again, and a seed that changed since is merely
/// of no use. Nothing is cached next to the seed, so there is no cache to go stale.
/// </summary>
public sealed class SeedFile : IChunkSource, IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly Dictionary<ChunkId, long> _offsets;

    private SeedFile(Seed seed, SafeFileHandle handle, Dictionary<ChunkId, long> offsets, long length)
    {
        Seed = seed;
        _handle = handle;
        _offsets = offsets;
        Length = length;
    }

    public Seed Seed { get; }

    /// <summary>The bytes that were chunked (the file's or the device's size).</summary>
    public long Length { get; }

    /// <summary>Distinct chunk IDs found.</summary>
    public int ChunkCount => _offsets.Count;

    /// <summary>
    /// Chunks <paramref name="seed"/> (read once to its end, one read buffer and one chunk in memory)
    /// with <paramref name="sizes"/>. Throws IOException or UnauthorizedAccessException when it cannot be read.
    /// </summary>
    public static async Task<SeedFile> OpenAsync(Seed seed, ChunkSizeLimits sizes, CancellationToken cancellationToken)
    {
        var path = seed.Path;
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        try
        {
            CasyncIndex index;
            var input = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
            await using (input.ConfigureAwait(false))
            {
                if (seed.Offset > 0)
                {
                    input.Seek(seed.Offset, SeekOrigin.Begin);
                }

                var extent = new ExtentStream(input, seed.Length ?? long.MaxValue);
                index = await CasyncBlob.IndexAsync(extent, store: null, sizes, cancellationToken).ConfigureAwait(false);
            }

            var offsets = new Dictionary<ChunkId, long>(index.Chunks.Count);
            foreach (var chunk in index.Chunks)
            {
                offsets.TryAdd(chunk.Id, chunk.Offset);
            }

            return new SeedFile(seed, handle, offsets, index.BlobSize);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public bool Contains(ChunkId id) => _offsets.ContainsKey(id);

    /// <summary>
    /// Reads the bytes that hashed to the chunk's ID when the seed was chunked; the caller checks the
    /// hash again. A read error or a seed that shrank is "not here".
    /// </summary>
    public async ValueTask<bool> TryReadAsync(IndexedChunk chunk, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (!_offsets.TryGetValue(chunk.Id, out var offset))
        {
            return false;
        }

        try
        {
            var done = 0;
            while (done < destination.Length)
            {
                var read = await RandomAccess.ReadAsync(_handle, destination[done..], Seed.Offset + offset + done, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return false;
                }

                done += read;
            }

            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>At most <c>length</c> bytes of a stream, from where it is.</summary>
    private sealed class ExtentStream(Stream inner, long length) : ImageUpdate.Foundation.Streams.ForwardReadStream
    {
        private long _left = length;

        public override int Read(Span<byte> buffer) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left <= 0 || buffer.IsEmpty)
            {
                return 0;
            }

            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken).ConfigureAwait(false);
            _left -= read;
            return read;
        }
    }
}
