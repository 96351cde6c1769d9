using ImageUpdate.Formats.Compression;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Foundation.Streams;
using ImageUpdate.Platform.Archives;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Update.Transfers.Copying;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// Writes a source payload into a new host file (decompressed, and for URL sources hash-checked as it
/// is read) or a new host directory (a directory copied, a tar extracted). Everything is read
/// asynchronously.
/// </summary>
public static class PayloadWriter
{
    /// <summary>
    /// The mode a written file has when neither Mode= nor the source gives one (a url-file payload):
    /// 0664 less the umask, as systemd-pull creates its output (0644 under the usual umask 022;
    /// checked against systemd-sysupdate 257 and 262). A mode given later replaces it at sealing.
    /// </summary>
    public const UnixFileMode DefaultFileMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead;

    /// <summary>Writes a file payload into the new file <paramref name="path"/>; the caller syncs it.</summary>
    /// <param name="size">The uncompressed size when the pattern's @s tells it (null: unknown).</param>
    public static async Task WriteFileAsync(SourcePayload payload, string path, IProgress<TransferProgress>? progress, CancellationToken cancellationToken, long? size = null)
    {
        if (payload.Kind != PayloadKind.File)
        {
            throw new UpdateException($"Cannot write {payload.Kind.ToString().ToLowerInvariant()} source '{UntrustedText.Escape(payload.Description)}' into a regular-file target.");
        }

        await using var source = await payload.OpenAsync(cancellationToken).ConfigureAwait(false);
        var counted = new CountingReadStream(source);
        var (kind, decompressed) = await Decompression.OpenAutoDetectAsync(counted, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var input = decompressed.ConfigureAwait(false);

        // Progress against the uncompressed size when anything tells it, else against the bytes read
        // of a source whose length is known (a compressed local file). Reading (decompressing, a URL
        // source's hashing) overlaps with writing; the fsync comes later.
        var rawLength = source.CanSeek ? source.Length : (long?)null;
        // The uncompressed size, as for a partition: @s, else the payload's, else an uncompressed
        // payload's own length (a local file's, a download's Content-Length). A compressed payload
        // without @s has none until it is written.
        var expected = size ?? payload.Length ?? (kind == CompressionKind.None ? ForwardReadStream.ExpectedLengthOf(source) : null);

        // A size known beforehand is checked against the room left, so a full target (an ESP) is
        // refused before the first byte rather than filled up to ENOSPC.
        if (expected is { } needed)
        {
            FreeSpace.Require(Path.GetDirectoryName(path)!, needed, $"'{UntrustedText.Escape(payload.Description)}'");
        }

        await using var output = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0,
            UnixCreateMode = DefaultFileMode,
        });

        var report = Report(progress, counted, kind, expected, rawLength ?? ForwardReadStream.ExpectedLengthOf(source));
        var written = await PipelinedCopy.CopyAsync(decompressed, output.SafeFileHandle, null, 1, 0, long.MaxValue, sync: false, DigestBesideWrites(source, kind), $"'{UntrustedText.Escape(path)}'", report, cancellationToken).ConfigureAwait(false);

        progress?.Report(TransferProgress.Done(written));
    }

    /// <summary>
    /// For a verified source whose bytes are the payload itself (nothing to decompress), the copy's own
    /// digest stage hashes each buffer while it is written instead of the reading thread before it;
    /// otherwise (compressed, nothing to verify, or a payload so short the format probe already read
    /// and verified all of it) null and nothing changes.
    /// </summary>
    internal static IBufferDigest? DigestBesideWrites(Stream source, CompressionKind kind) =>
        kind == CompressionKind.None && source is VerifyingStream verifying ? verifying.DeferHashing() : null;

    /// <summary>
    /// Wires a copy's progress: the bytes read as they arrive (<see cref="CountingReadStream.OnRead"/>,
    /// fine-grained, which is what a slow download needs) when they count against a known total: the
    /// uncompressed size of an uncompressed payload, else the source's length (a compressed local
    /// file, a download's Content-Length); else the uncompressed bytes after each write, against the
    /// uncompressed size when known. Returns the callback for the writes, if any.
    /// </summary>
    internal static Action<long>? Report(IProgress<TransferProgress>? progress, CountingReadStream counted, CompressionKind kind, long? expected, long? rawLength)
    {
        if (progress is null)
        {
            return null;
        }

        if (kind == CompressionKind.None && (expected ?? rawLength) is { } total)
        {
            counted.OnRead = read => progress.Report(new(read, total));
            return null;
        }

        if (expected is > 0)
        {
            return written => progress.Report(new(written, expected));
        }

        if (rawLength is > 0)
        {
            counted.OnRead = read => progress.Report(new(read, rawLength));
            return null;
        }

        return written => progress.Report(new(written, null));
    }

    /// <summary>
    /// Writes a directory or tar payload into the directory <paramref name="path"/> (which may exist,
    /// empty). A tar reports the bytes read of it, against its length when that is known.
    /// </summary>
    public static async Task WriteDirectoryAsync(SourcePayload payload, string path, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        switch (payload.Kind)
        {
            case PayloadKind.Directory:
                await TreeCopy.CopyAsync(payload.DirectoryPath!, path, cancellationToken).ConfigureAwait(false);
                break;
            case PayloadKind.Tar:
                await using (var source = await payload.OpenAsync(cancellationToken).ConfigureAwait(false))
                {
                    var length = ForwardReadStream.ExpectedLengthOf(source);
                    var counted = new CountingReadStream(source) { OnRead = progress is null ? null : read => progress.Report(new(read, length)) };
                    var (_, decompressed) = await Decompression.OpenAutoDetectAsync(counted, cancellationToken: cancellationToken).ConfigureAwait(false);
                    await using var input = decompressed.ConfigureAwait(false);
                    Directory.CreateDirectory(path);
                    await TarExtractor.ExtractAsync(decompressed, path, cancellationToken).ConfigureAwait(false);
                    progress?.Report(TransferProgress.Done(counted.BytesRead));
                }

                break;
            default:
                throw new UpdateException($"Cannot write file source '{UntrustedText.Escape(payload.Description)}' into a directory target.");
        }
    }
}
