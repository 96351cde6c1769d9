using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// systemd-repart's reproducible identifiers (src/partition/repart.c, systemd 252), so the same seed
/// gives the same disk GUID, partition UUIDs and FAT volume ids as `systemd-repart --seed=`:
/// HMAC-SHA256 keyed with the seed's 16 bytes (in UUID string order), the first half of the digest
/// made a version 4 UUID.
/// <list type="bullet">
/// <item>disk GUID: HMAC(seed, "disk-uuid") (derive_uuid);</item>
/// <item>partition UUID: HMAC(seed, type UUID) for the first partition of a type, HMAC(seed, type UUID ||
/// LE64 k) for the k-th later one (partition_acquire_uuid);</item>
/// <item>file system UUID: HMAC(partition UUID, "file-system-uuid"); FAT takes its first four bytes,
/// big-endian, as the volume id (make_filesystem in src/shared/mkfs-util.c).</item>
/// </list>
/// </summary>
internal static class RepartUuids
{
    public static Guid Disk(Guid seed) => Derive(seed, Encoding.ASCII.GetBytes("disk-uuid"));

    public static Guid Partition(Guid seed, Guid type, ulong instance)
    {
        // The type UUID, then the instance number only from the second partition of a type on.
        Span<byte> plaintext = stackalloc byte[16 + sizeof(ulong)];
        type.TryWriteBytes(plaintext, bigEndian: true, out _);
        BinaryPrimitives.WriteUInt64LittleEndian(plaintext[16..], instance);
        return Derive(seed, instance == 0 ? plaintext[..16] : plaintext);
    }

    public static Guid FileSystem(Guid partitionUuid) => Derive(partitionUuid, Encoding.ASCII.GetBytes("file-system-uuid"));

    /// <summary>The FAT volume id mkfs.vfat gets: the file system UUID's first four bytes, big-endian.</summary>
    public static uint FatVolumeId(Guid partitionUuid)
    {
        Span<byte> bytes = stackalloc byte[16];
        FileSystem(partitionUuid).TryWriteBytes(bytes, bigEndian: true, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    private static Guid Derive(Guid key, ReadOnlySpan<byte> message)
    {
        Span<byte> keyBytes = stackalloc byte[16];
        key.TryWriteBytes(keyBytes, bigEndian: true, out _);
        Span<byte> digest = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(keyBytes, message, digest);

        // id128_make_v4_uuid: version 4 in the high nibble of byte 6, variant 10xx in byte 8 (RFC 4122).
        digest[6] = (byte)((digest[6] & 0x0F) | 0x40);
        digest[8] = (byte)((digest[8] & 0x3F) | 0x80);
        return new Guid(digest[..16], bigEndian: true);
    }
}
