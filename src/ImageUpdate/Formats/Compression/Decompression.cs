namespace ImageUpdate.Formats.Compression;

/// <summary>
/// Opens compressed data as a stream of its decompressed bytes: gzip, xz, zstd and bzip2 through the
/// system's libz.so.1, liblzma.so.5, libzstd.so.1 and libbz2.so.1.0 (present wherever systemd is).
/// This replaces ZstdSharp/SharpCompress, which the registry here does not serve; swap when it does.
/// The streams are read-only and forward-only, keep one 1 MiB input buffer plus the codec's window
/// whatever the size of the data, decode concatenated streams/frames/members as the command-line
/// tools do, and report truncated, corrupt or trailing data as <see cref="DecompressionException"/>.
/// </summary>
public static class Decompression
{
    /// <summary>A stream of the decompressed bytes of <paramref name="compressed"/>, read as <paramref name="kind"/>; <see cref="CompressionKind.None"/> passes the bytes through.</summary>
    public static Stream Open(Stream compressed, CompressionKind kind, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        try
        {
            return kind switch
            {
                CompressionKind.None => new HeadReplayStream([], compressed, leaveOpen),
                CompressionKind.Gzip => new GzipDecodingStream(compressed, leaveOpen),
                CompressionKind.Xz => new XzDecodingStream(compressed, leaveOpen),
                CompressionKind.Zstd => new ZstdDecodingStream(compressed, leaveOpen),
                CompressionKind.Bzip2 => new Bzip2DecodingStream(compressed, leaveOpen),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown compression kind."),
            };
        }
        catch (DllNotFoundException e)
        {
            throw new DecompressionException(kind, $"Cannot decode {DecompressionException.Name(kind)} data: its library is not installed ({e.Message.TrimEnd('.')}).", e);
        }
    }

    /// <summary>
    /// Reads the first <see cref="CompressionDetector.HeadLength"/> bytes to recognise the format, then
    /// returns it with a stream of the decompressed bytes (those bytes included). Works on streams that
    /// cannot seek.
    /// </summary>
    public static (CompressionKind Kind, Stream Stream) OpenAutoDetect(Stream compressed, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        Span<byte> head = stackalloc byte[CompressionDetector.HeadLength];
        var length = compressed.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Wrap(head[..length], compressed, leaveOpen);
    }

    /// <inheritdoc cref="OpenAutoDetect"/>
    public static async Task<(CompressionKind Kind, Stream Stream)> OpenAutoDetectAsync(Stream compressed, bool leaveOpen = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        var head = new byte[CompressionDetector.HeadLength];
        var length = await compressed.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return Wrap(head.AsSpan(0, length), compressed, leaveOpen);
    }

    private static (CompressionKind Kind, Stream Stream) Wrap(ReadOnlySpan<byte> head, Stream compressed, bool leaveOpen)
    {
        var kind = CompressionDetector.Detect(head);
        var replay = new HeadReplayStream(head, compressed, leaveOpen);
        return kind == CompressionKind.None ? (kind, replay) : (kind, Open(replay, kind, leaveOpen: false));
    }
}
