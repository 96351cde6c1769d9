namespace ImageUpdate.Formats.Compression;

/// <summary>The compression formats systemd-importd recognises by their magic (src/import/import-compress.c).</summary>
public enum CompressionKind
{
    /// <summary>No known magic: the bytes are copied as they are.</summary>
    None,
    Gzip,
    Xz,
    Zstd,
    Bzip2,
}
