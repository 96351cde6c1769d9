using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Compression;

/// <summary>Compressed data is truncated, corrupt, followed by garbage, or its decoder library is missing.</summary>
public sealed class DecompressionException : ImageUpdateException
{
    public DecompressionException(CompressionKind kind, string message) : base(message)
    {
        Kind = kind;
    }

    public DecompressionException(CompressionKind kind, string message, Exception inner) : base(message, inner)
    {
        Kind = kind;
    }

    public CompressionKind Kind { get; }

    internal static DecompressionException Truncated(CompressionKind kind) =>
        new(kind, $"The {Name(kind)} data ends before its last stream is complete (truncated download or file?).");

    internal static DecompressionException Corrupt(CompressionKind kind, string detail) =>
        new(kind, $"The {Name(kind)} data cannot be decoded: {detail}.");

    internal static string Name(CompressionKind kind) => kind switch
    {
        CompressionKind.Gzip => "gzip",
        CompressionKind.Xz => "xz",
        CompressionKind.Zstd => "zstd",
        CompressionKind.Bzip2 => "bzip2",
        _ => "uncompressed",
    };
}
