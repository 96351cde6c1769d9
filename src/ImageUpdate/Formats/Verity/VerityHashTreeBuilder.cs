using System.Security.Cryptography;

namespace ImageUpdate.Formats.Verity;

/// <summary>
/// Builds a dm-verity hash tree (format 1, sha256) in one pass over the data, fed in pieces of any
/// size as the data is written elsewhere (<see cref="VerityHashingStream"/> does that for a stream).
/// Every data block's salted digest goes into level 0, and each hash block is digested into the
/// level above the moment it fills, so the data is read once and never kept. The tree itself (about
/// 1/127 of the data with 4 KiB blocks) is kept in memory and written out with the superblock by
/// <see cref="WriteHashDeviceAsync"/>: the same bytes <c>veritysetup format</c> writes.
/// </summary>
public sealed class VerityHashTreeBuilder : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _tree;
    private readonly long[] _digestCounts;
    private readonly byte[] _pending;
    private readonly byte[] _rootHash = new byte[VerityTreeLayout.DigestSize];
    private int _pendingLength;
    private long _dataBlocksDone;
    private bool _completed;

    /// <summary>Starts a tree over <paramref name="dataSize"/> bytes (a whole number of data blocks).</summary>
    public VerityHashTreeBuilder(VerityParameters parameters, long dataSize)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (dataSize <= 0 || dataSize % parameters.DataBlockSize != 0)
        {
            throw new ArgumentException($"Verity data must be a positive whole number of {parameters.DataBlockSize}-byte blocks, not {dataSize} bytes.", nameof(dataSize));
        }

        Superblock = new VeritySuperblock(parameters, dataSize / parameters.DataBlockSize);
        Layout = VerityTreeLayout.For(Superblock.DataBlocks, parameters.HashBlockSize);
        var treeBytes = Layout.TreeBlocks * Layout.HashBlockSize;
        if (treeBytes > Array.MaxLength)
        {
            throw new ArgumentException($"A verity tree over {dataSize} bytes would take {treeBytes} bytes, more than one buffer holds.", nameof(dataSize));
        }

        _tree = new byte[treeBytes];
        _digestCounts = new long[Layout.Levels];
        _pending = new byte[parameters.DataBlockSize];
    }

    /// <summary>The superblock the hash device starts with.</summary>
    public VeritySuperblock Superblock { get; }

    /// <summary>Where the levels lie.</summary>
    public VerityTreeLayout Layout { get; }

    /// <summary>Bytes of data appended so far.</summary>
    public long BytesAppended => (_dataBlocksDone * Superblock.Parameters.DataBlockSize) + _pendingLength;

    /// <summary>The hash tree without the superblock (complete only after <see cref="Complete"/>).</summary>
    public ReadOnlyMemory<byte> Tree => _tree;

    /// <summary>The root hash; only after <see cref="Complete"/>.</summary>
    public ReadOnlyMemory<byte> RootHash => _completed ? _rootHash : throw new InvalidOperationException("The verity tree is not complete yet.");

    /// <summary>Hashes the next <paramref name="data"/> bytes of the data device.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (_completed)
        {
            throw new InvalidOperationException("The verity tree is already complete.");
        }

        if (data.Length > Superblock.DataSize - BytesAppended)
        {
            throw new InvalidOperationException($"More data than the {Superblock.DataSize} bytes the verity tree was started for.");
        }

        var blockSize = _pending.Length;
        if (_pendingLength > 0)
        {
            var take = Math.Min(blockSize - _pendingLength, data.Length);
            data[..take].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += take;
            data = data[take..];
            if (_pendingLength < blockSize)
            {
                return;
            }

            HashDataBlock(_pending);
            _pendingLength = 0;
        }

        while (data.Length >= blockSize)
        {
            HashDataBlock(data[..blockSize]);
            data = data[blockSize..];
        }

        data.CopyTo(_pending);
        _pendingLength = data.Length;
    }

    /// <summary>Finishes the partial hash blocks of every level and returns the root hash; all data must have been appended.</summary>
    public ReadOnlyMemory<byte> Complete()
    {
        if (_completed)
        {
            return _rootHash;
        }

        if (BytesAppended != Superblock.DataSize)
        {
            throw new InvalidOperationException($"The verity tree needs {Superblock.DataSize} bytes of data, only {BytesAppended} were appended.");
        }

        if (Layout.Levels > 0)
        {
            var perBlock = Layout.DigestsPerBlock;
            for (var level = 0; level < Layout.Levels - 1; level++)
            {
                if (_digestCounts[level] % perBlock != 0)
                {
                    CompleteHashBlock(level, _digestCounts[level] / perBlock);
                }
            }

            Digest(HashBlock(Layout.Levels - 1, 0), _rootHash);
        }

        _completed = true;
        return _rootHash;
    }

    /// <summary>Writes superblock (padded to one hash block) and tree: the whole hash device, <see cref="VerityTreeLayout.HashDeviceSize"/> bytes.</summary>
    public async Task WriteHashDeviceAsync(Stream destination, CancellationToken cancellationToken)
    {
        _ = Complete();
        var head = new byte[Layout.TreeOffset];
        Superblock.WriteTo(head);
        await destination.WriteAsync(head, cancellationToken).ConfigureAwait(false);
        await destination.WriteAsync(_tree, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole hash device as one array (for small trees and tests).</summary>
    public byte[] ToHashDevice()
    {
        _ = Complete();
        var device = new byte[Layout.HashDeviceSize];
        Superblock.WriteTo(device);
        _tree.CopyTo(device.AsSpan((int)Layout.TreeOffset));
        return device;
    }

    public void Dispose() => _hash.Dispose();

    private void HashDataBlock(ReadOnlySpan<byte> block)
    {
        Span<byte> digest = stackalloc byte[VerityTreeLayout.DigestSize];
        Digest(block, digest);
        _dataBlocksDone++;
        if (Layout.Levels == 0)
        {
            digest.CopyTo(_rootHash); // a single data block: its digest is the root hash
            return;
        }

        AddDigest(0, digest);
    }

    private void AddDigest(int level, ReadOnlySpan<byte> digest)
    {
        var index = _digestCounts[level]++;
        var perBlock = Layout.DigestsPerBlock;
        var offset = (Layout.LevelStarts[level] * Layout.HashBlockSize) + (index * VerityTreeLayout.DigestSize);
        digest.CopyTo(_tree.AsSpan((int)offset, VerityTreeLayout.DigestSize));
        if ((index + 1) % perBlock == 0 && level < Layout.Levels - 1)
        {
            CompleteHashBlock(level, index / perBlock);
        }
    }

    private void CompleteHashBlock(int level, long block)
    {
        Span<byte> digest = stackalloc byte[VerityTreeLayout.DigestSize];
        Digest(HashBlock(level, block), digest);
        AddDigest(level + 1, digest);
    }

    private ReadOnlySpan<byte> HashBlock(int level, long block) =>
        _tree.AsSpan((int)((Layout.LevelStarts[level] + block) * Layout.HashBlockSize), Layout.HashBlockSize);

    // Format 1: digest = sha256(salt || block).
    private void Digest(ReadOnlySpan<byte> block, Span<byte> destination)
    {
        _hash.AppendData(Superblock.Parameters.Salt.Span);
        _hash.AppendData(block);
        _hash.GetHashAndReset(destination);
    }
}
