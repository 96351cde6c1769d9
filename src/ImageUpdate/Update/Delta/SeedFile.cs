using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ImageUpdate.Formats.Casync;
using ImageUpdate.Foundation.Native;
using ImageUpdate.Foundation.Streams;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Update.Delta;

/// <summary>
/// A local file or block device whose chunks a rebuild may reuse: an installed instance of the same
/// transfer, an interrupted copy, or a --seed. Where its chunks are comes from one of two places:
/// the index of the version the seed holds, checked against a signed manifest (published by the
/// server, or kept in the host's <see cref="IndexCache"/>; <see cref="FromIndex"/>: nothing is read
/// until a chunk is used), or, when there is none, the seed itself, chunked here with the index's own
/// chunk sizes (<see cref="OpenAsync"/>; content-defined cuts fall in the same places in unchanged
/// regions whatever precedes them). Either way the map from chunk ID to offset is a claim: the
/// rebuild hashes every chunk it takes from a seed, and a seed that does not hold what was claimed is
/// merely of no use where the chunk can be fetched instead. Where it cannot (a staged update),
/// <see cref="HoldsAsync"/> checks beforehand that the seed still holds the version's file byte for
/// byte. Nothing is cached next to the seed, so there is no cache beside it to go stale.
/// </summary>
public sealed class SeedFile : IChunkSource, IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly Dictionary<ChunkId, long> _offsets;

    private SeedFile(Seed seed, SafeFileHandle handle, Dictionary<ChunkId, long> offsets, long length, bool fromIndex)
    {
        Seed = seed;
        _handle = handle;
        _offsets = offsets;
        Length = length;
        FromPublishedIndex = fromIndex;
    }

    public Seed Seed { get; }

    /// <summary>The bytes that were chunked (the file's or the device's size).</summary>
    public long Length { get; }

    /// <summary>Distinct chunk IDs found.</summary>
    public int ChunkCount => _offsets.Count;

    /// <summary>Whether the chunks' places come from the published index of the seed's version (true) or from chunking the seed.</summary>
    public bool FromPublishedIndex { get; }

    /// <summary>
    /// Chunks <paramref name="seed"/> (read once to its end, one read buffer and one chunk in memory)
    /// with <paramref name="sizes"/>. Throws IOException or UnauthorizedAccessException when it cannot be read.
    /// </summary>
    public static async Task<SeedFile> OpenAsync(Seed seed, ChunkSizeLimits sizes, CancellationToken cancellationToken)
    {
        var handle = OpenWithoutLock(seed.Path);
        try
        {
            var extent = new ExtentStream(handle, seed.Offset, seed.Length ?? long.MaxValue);
            var index = await CasyncBlob.IndexAsync(extent, store: null, sizes, cancellationToken).ConfigureAwait(false);
            var offsets = new Dictionary<ChunkId, long>(index.Chunks.Count);
            foreach (var chunk in index.Chunks)
            {
                offsets.TryAdd(chunk.Id, chunk.Offset);
            }

            return new SeedFile(seed, handle, offsets, index.BlobSize, fromIndex: false);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <paramref name="seed"/>, taken to hold the blob <paramref name="index"/> describes (the
    /// published index of the version it holds, checked against the signed manifest): its chunks are
    /// where the index puts them, and nothing is read now. Chunks past the seed's end (a slot
    /// smaller than the blob) are left out. Throws IOException when it cannot be opened.
    /// </summary>
    public static SeedFile FromIndex(Seed seed, CasyncIndex index)
    {
        var handle = OpenWithoutLock(seed.Path);
        try
        {
            // A block device's size is not in st_size (0): a slot's extent says it, else take the index's word.
            var available = seed.Length ?? RandomAccess.GetLength(handle) - seed.Offset;
            var end = available > 0 ? Math.Min(available, index.BlobSize) : index.BlobSize;
            var offsets = new Dictionary<ChunkId, long>(index.Chunks.Count);
            foreach (var chunk in index.Chunks)
            {
                if (chunk.End <= end)
                {
                    offsets.TryAdd(chunk.Id, chunk.Offset);
                }
            }

            return new SeedFile(seed, handle, offsets, end, fromIndex: true);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public bool Contains(ChunkId id) => _offsets.ContainsKey(id);

    /// <summary>
    /// Whether the seed's first <paramref name="length"/> bytes have the SHA-256 <paramref name="sha256"/>
    /// (the manifest's for the file of the version it is labelled with): then every chunk of that
    /// version's index is where the index says. Read once, in large blocks, the next read under way while
    /// the last is hashed. A read error or a seed shorter than <paramref name="length"/> is "no".
    /// </summary>
    public async Task<bool> HoldsAsync(string sha256, long length, CancellationToken cancellationToken)
    {
        const int Block = 1 << 20;
        if (Seed.Length is { } available && available < length)
        {
            return false;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffers = new[] { new byte[Block], new byte[Block] };
        try
        {
            long position = 0;
            var next = length > 0 ? ReadBlockAsync(buffers[0], 0, (int)Math.Min(Block, length), cancellationToken) : null;
            for (var i = 0; next is not null; i++)
            {
                var read = await next.ConfigureAwait(false);
                if (read < 0)
                {
                    return false;
                }

                position += read;
                next = position < length ? ReadBlockAsync(buffers[(i + 1) % 2], position, (int)Math.Min(Block, length - position), cancellationToken) : null;
                hash.AppendData(buffers[i % 2], 0, read);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        return string.Equals(Convert.ToHexStringLower(hash.GetHashAndReset()), sha256, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Reads the bytes that hashed (or, by the published index, should hash) to the chunk's ID; the
    /// caller checks the hash. A read error or a seed that shrank is "not here".
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

    /// <summary>Reads <paramref name="count"/> bytes at the seed's <paramref name="offset"/>; -1 when the seed ends first.</summary>
    private async Task<int> ReadBlockAsync(byte[] buffer, long offset, int count, CancellationToken cancellationToken)
    {
        var done = 0;
        while (done < count)
        {
            var read = await RandomAccess.ReadAsync(_handle, buffer.AsMemory(done, count - done), Seed.Offset + offset + done, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return -1;
            }

            done += read;
        }

        return done;
    }

    /// <summary>
    /// open(2) directly: .NET's own file opening takes an advisory flock, and a shared one on a disk
    /// would block the partition target's exclusive lock on the same disk for as long as the seed is open.
    /// </summary>
    internal static SafeFileHandle OpenWithoutLock(string path)
    {
        var fd = Libc.Gpt.Open(path, Libc.Gpt.OpenReadOnly | Libc.Gpt.OpenCloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"open() failed with errno {Marshal.GetLastPInvokeError()}.");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>At most <c>length</c> bytes of a handle from <c>offset</c>, read with pread(2).</summary>
    private sealed class ExtentStream(SafeFileHandle handle, long offset, long length) : ForwardReadStream
    {
        private long _position = offset;
        private long _left = length;

        public override int Read(Span<byte> buffer) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left <= 0 || buffer.IsEmpty)
            {
                return 0;
            }

            var read = await RandomAccess.ReadAsync(handle, buffer[..(int)Math.Min(buffer.Length, _left)], _position, cancellationToken).ConfigureAwait(false);
            _position += read;
            _left -= read;
            return read;
        }
    }
}
