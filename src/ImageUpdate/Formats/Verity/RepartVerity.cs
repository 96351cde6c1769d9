using System.Security.Cryptography;
using System.Text;

namespace ImageUpdate.Formats.Verity;

/// <summary>
/// What systemd-repart (262, src/repart/repart.c) derives for a Verity=data/hash/signature triple, so
/// the same seed and data give the same bytes and identifiers as <c>systemd-repart --seed=</c>:
/// <list type="bullet">
/// <item>salt: HMAC-SHA256 keyed with the seed's 16 bytes (UUID string order) over the ASCII string
/// "verity-salt", all 32 bytes. It depends on the seed only, not on the partition: every verity
/// pair of one repart run gets the same salt (derive_salt);</item>
/// <item>superblock UUID: HMAC-SHA256(seed, "verity-uuid"), first 16 bytes made a version 4 UUID
/// (derive_uuid);</item>
/// <item>partition UUIDs: the data partition's is the first 16 bytes of the root hash, the hash
/// partition's the last 16, both taken as they are (no version bits set), as the Discoverable
/// Partitions Specification asks and as ParticleOS's <c>@u</c> / <c>PartitionUUID=@u</c> expect;
/// the signature partition's UUID is seed-derived like any other partition's;</item>
/// <item>the hash tree: sha256, format 1, 4096-byte blocks unless VerityDataBlockSizeBytes= /
/// VerityHashBlockSizeBytes= say otherwise;</item>
/// <item>the signature partition: <see cref="SignaturePartitionSize"/> bytes holding
/// <see cref="VeritySignature"/>'s JSON, NUL-padded.</item>
/// </list>
/// </summary>
public static class RepartVerity
{
    /// <summary>The size repart gives a Verity=signature partition (VERITY_SIG_SIZE: 4 × 4096).</summary>
    public const int SignaturePartitionSize = 4 * 4096;

    /// <summary>The salt repart hashes every block with, for <paramref name="seed"/>.</summary>
    public static byte[] Salt(Guid seed) => Hmac(seed, "verity-salt");

    /// <summary>The UUID repart writes into the verity superblock, for <paramref name="seed"/>.</summary>
    public static Guid SuperblockUuid(Guid seed)
    {
        var digest = Hmac(seed, "verity-uuid");

        // id128_make_v4_uuid: version 4 in the high nibble of byte 6, variant 10xx in byte 8 (RFC 4122).
        digest[6] = (byte)((digest[6] & 0x0F) | 0x40);
        digest[8] = (byte)((digest[8] & 0x3F) | 0x80);
        return new Guid(digest.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>The hash tree parameters repart uses for <paramref name="seed"/> and the given block sizes.</summary>
    public static VerityParameters Parameters(Guid seed, int dataBlockSize = VerityParameters.DefaultBlockSize, int hashBlockSize = VerityParameters.DefaultBlockSize) =>
        new(dataBlockSize, hashBlockSize, Salt(seed), SuperblockUuid(seed));

    /// <summary>The data partition's UUID: the root hash's first 16 bytes.</summary>
    public static Guid DataPartitionUuid(ReadOnlySpan<byte> rootHash) => new(Half(rootHash)[..16], bigEndian: true);

    /// <summary>The hash partition's UUID: the root hash's last 16 bytes.</summary>
    public static Guid HashPartitionUuid(ReadOnlySpan<byte> rootHash) => new(Half(rootHash)[^16..], bigEndian: true);

    /// <summary>The root hash back from the two partition UUIDs (what repart does when it signs partitions copied with CopyBlocks=).</summary>
    public static byte[] RootHashFromPartitionUuids(Guid dataPartition, Guid hashPartition)
    {
        var rootHash = new byte[VerityTreeLayout.DigestSize];
        dataPartition.TryWriteBytes(rootHash.AsSpan(0, 16), bigEndian: true, out _);
        hashPartition.TryWriteBytes(rootHash.AsSpan(16, 16), bigEndian: true, out _);
        return rootHash;
    }

    private static ReadOnlySpan<byte> Half(ReadOnlySpan<byte> rootHash) =>
        rootHash.Length >= 32 ? rootHash : throw new ArgumentException($"A root hash has at least 32 bytes, not {rootHash.Length}.", nameof(rootHash));

    private static byte[] Hmac(Guid seed, string token)
    {
        Span<byte> key = stackalloc byte[16];
        seed.TryWriteBytes(key, bigEndian: true, out _);
        return HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(token));
    }
}
