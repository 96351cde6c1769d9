using System.Numerics;

namespace ImageUpdate.Formats.Verity;

/// <summary>
/// How a dm-verity hash tree is built (superblock format 1, hash type 1, sha256): the data and hash
/// block sizes, the salt hashed in front of every block, and the UUID the superblock carries.
/// </summary>
public sealed record VerityParameters
{
    /// <summary>The block size veritysetup and systemd-repart use when none is given.</summary>
    public const int DefaultBlockSize = 4096;

    /// <summary>Smallest block size dm-verity accepts (one sector).</summary>
    public const int MinimumBlockSize = 512;

    /// <summary>Largest block size libcryptsetup accepts (512 KiB).</summary>
    public const int MaximumBlockSize = 512 * 1024;

    /// <summary>The salt field of the superblock holds at most this many bytes.</summary>
    public const int MaximumSaltSize = VeritySuperblock.SaltFieldLength;

    public VerityParameters(int dataBlockSize, int hashBlockSize, ReadOnlyMemory<byte> salt, Guid uuid)
    {
        ValidateBlockSize(dataBlockSize, nameof(dataBlockSize));
        ValidateBlockSize(hashBlockSize, nameof(hashBlockSize));
        if (salt.Length > MaximumSaltSize)
        {
            throw new ArgumentException($"A verity salt holds at most {MaximumSaltSize} bytes, not {salt.Length}.", nameof(salt));
        }

        DataBlockSize = dataBlockSize;
        HashBlockSize = hashBlockSize;
        Salt = salt.ToArray();
        Uuid = uuid;
    }

    /// <summary>Bytes per data block (a power of two, 512 to 512 KiB).</summary>
    public int DataBlockSize { get; }

    /// <summary>Bytes per hash block (a power of two, 512 to 512 KiB).</summary>
    public int HashBlockSize { get; }

    /// <summary>The salt (may be empty), hashed before each block's bytes in format 1.</summary>
    public ReadOnlyMemory<byte> Salt { get; }

    /// <summary>The UUID written into the superblock (repart derives it from its seed).</summary>
    public Guid Uuid { get; }

    /// <summary>True when <paramref name="size"/> is a block size dm-verity accepts.</summary>
    public static bool IsValidBlockSize(long size) =>
        size is >= MinimumBlockSize and <= MaximumBlockSize && BitOperations.IsPow2(size);

    private static void ValidateBlockSize(int size, string name)
    {
        if (!IsValidBlockSize(size))
        {
            throw new ArgumentException($"A verity block size must be a power of two from {MinimumBlockSize} to {MaximumBlockSize}, not {size}.", name);
        }
    }

    public bool Equals(VerityParameters? other) =>
        other is not null && DataBlockSize == other.DataBlockSize && HashBlockSize == other.HashBlockSize
        && Uuid == other.Uuid && Salt.Span.SequenceEqual(other.Salt.Span);

    public override int GetHashCode() => HashCode.Combine(DataBlockSize, HashBlockSize, Uuid, Salt.Length);
}
