namespace ImageUpdate.Formats.Compression;

/// <summary>
/// Recognises compressed data by its first bytes, the way systemd's import code does
/// (import_uncompress_detect in src/import/import-compress.c): it decides only once it holds as many
/// bytes as the longest magic (six, xz's), tests xz, gzip, bzip2 and zstd in that order, and treats
/// everything else as uncompressed.
/// </summary>
public static class CompressionDetector
{
    /// <summary>How many leading bytes <see cref="Detect"/> needs; shorter input is never compressed.</summary>
    public const int HeadLength = 6;

    // xz: "\xFD7zXZ\0" (xz file format 1.0.4 §2.1.1.1); gzip: ID1 ID2 (RFC 1952 §2.3.1);
    // bzip2: "BZh" followed by the block size digit; zstd: frame magic 0xFD2FB528 little-endian (RFC 8878 §3.1.1).
    private static ReadOnlySpan<byte> XzMagic => [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00];

    private static ReadOnlySpan<byte> GzipMagic => [0x1F, 0x8B];

    private static ReadOnlySpan<byte> Bzip2Magic => [0x42, 0x5A, 0x68];

    private static ReadOnlySpan<byte> ZstdMagic => [0x28, 0xB5, 0x2F, 0xFD];

    /// <summary>The format of data starting with <paramref name="head"/>; <see cref="CompressionKind.None"/> when unknown or shorter than <see cref="HeadLength"/>.</summary>
    public static CompressionKind Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length < HeadLength)
        {
            return CompressionKind.None;
        }

        if (head.StartsWith(XzMagic))
        {
            return CompressionKind.Xz;
        }

        if (head.StartsWith(GzipMagic))
        {
            return CompressionKind.Gzip;
        }

        if (head.StartsWith(Bzip2Magic))
        {
            return CompressionKind.Bzip2;
        }

        return head.StartsWith(ZstdMagic) ? CompressionKind.Zstd : CompressionKind.None;
    }
}
