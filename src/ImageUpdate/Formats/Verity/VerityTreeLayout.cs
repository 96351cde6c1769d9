using System.Collections.Immutable;
using System.Numerics;

namespace ImageUpdate.Formats.Verity;

/// <summary>
/// Where the levels of a dm-verity hash tree (format 1) lie on the hash device, derived from the
/// data block count and the block sizes the way libcryptsetup lays them out: the superblock padded
/// to one hash block, then the levels from the top (one block) down to level 0, whose digests cover
/// the data blocks. Each sha256 digest takes 32 bytes, so a hash block holds block size / 32 of them.
/// With a single data block there is no level at all: the root hash is that block's digest.
/// </summary>
public sealed record VerityTreeLayout
{
    /// <summary>Bytes one sha256 digest takes in a hash block (already a power of two).</summary>
    public const int DigestSize = 32;

    private VerityTreeLayout(long dataBlocks, int hashBlockSize, ImmutableArray<long> levelBlocks, ImmutableArray<long> levelStarts)
    {
        DataBlocks = dataBlocks;
        HashBlockSize = hashBlockSize;
        LevelBlocks = levelBlocks;
        LevelStarts = levelStarts;
    }

    /// <summary>Data blocks the tree covers.</summary>
    public long DataBlocks { get; }

    /// <summary>Bytes per hash block.</summary>
    public int HashBlockSize { get; }

    /// <summary>Digests per hash block.</summary>
    public int DigestsPerBlock => HashBlockSize / DigestSize;

    /// <summary>Hash blocks of each level, level 0 (over the data) first.</summary>
    public ImmutableArray<long> LevelBlocks { get; }

    /// <summary>First hash block of each level, counted from the start of the tree (after the superblock block).</summary>
    public ImmutableArray<long> LevelStarts { get; }

    /// <summary>Number of levels (0 for a single data block).</summary>
    public int Levels => LevelBlocks.Length;

    /// <summary>Hash blocks of the whole tree.</summary>
    public long TreeBlocks => LevelBlocks.Sum();

    /// <summary>Byte offset of the tree on the hash device: the superblock rounded up to a hash block.</summary>
    public long TreeOffset => HashBlockSize;

    /// <summary>Bytes of the whole hash device: superblock block plus tree.</summary>
    public long HashDeviceSize => TreeOffset + (TreeBlocks * HashBlockSize);

    /// <summary>The layout for <paramref name="dataBlocks"/> data blocks and hash blocks of <paramref name="hashBlockSize"/> bytes.</summary>
    public static VerityTreeLayout For(long dataBlocks, int hashBlockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dataBlocks);
        if (!VerityParameters.IsValidBlockSize(hashBlockSize))
        {
            throw new ArgumentException($"Hash block size {hashBlockSize} is not a valid verity block size.", nameof(hashBlockSize));
        }

        var bitsPerLevel = BitOperations.Log2((uint)(hashBlockSize / DigestSize));
        var levels = 0;
        while (bitsPerLevel * levels < 64 && ((ulong)(dataBlocks - 1) >> (bitsPerLevel * levels)) != 0)
        {
            levels++;
        }

        var blocks = new long[levels];
        for (var level = 0; level < levels; level++)
        {
            var shift = bitsPerLevel * (level + 1);
            blocks[level] = shift >= 63 ? 1 : (long)(((ulong)dataBlocks + (1UL << shift) - 1) >> shift);
        }

        var starts = new long[levels];
        long position = 0;
        for (var level = levels - 1; level >= 0; level--)
        {
            starts[level] = position;
            position += blocks[level];
        }

        return new VerityTreeLayout(dataBlocks, hashBlockSize, [.. blocks], [.. starts]);
    }

    public bool Equals(VerityTreeLayout? other) =>
        other is not null && DataBlocks == other.DataBlocks && HashBlockSize == other.HashBlockSize;

    public override int GetHashCode() => HashCode.Combine(DataBlocks, HashBlockSize);
}
