using ImageUpdate.Formats.Compression;
using ImageUpdate.Platform.Processes;

namespace ImageUpdate.Update.Publishing;

/// <summary>
/// Writes a payload into the output directory, compressed or as it is.
/// </summary>
/// <remarks>
/// Compression runs the reference tools (zstd, xz, gzip) through the process runner rather than
/// native bindings: the project binds only the decoders of libzstd and liblzma, the tools are what
/// an administrator would otherwise run by hand (so their output is the expected one), and their
/// output is reproducible with the flags used here (xz single-threaded, gzip without name or time).
/// xz and gzip cannot name their output file, so they work on a copy and compress it in place.
/// </remarks>
internal sealed class PayloadCompressor(IProcessRunner runner)
{
    /// <summary>Root file systems take a while to compress with xz; this bounds a hung tool, not a slow one.</summary>
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromHours(2);

    /// <summary>
    /// Writes <paramref name="source"/> to <paramref name="destination"/> compressed as asked, except
    /// that an already compressed payload is copied as it is (compressing it again would leave the
    /// installed file compressed, since the engine unpacks once). Returns the compression of what was written.
    /// </summary>
    public async Task<CompressionKind> WriteAsync(string source, string destination, PublishCompression compression, CancellationToken cancellationToken)
    {
        var existing = Detect(source);
        if (compression == PublishCompression.None || existing != CompressionKind.None)
        {
            File.Copy(source, destination, overwrite: true);
            return existing;
        }

        switch (compression)
        {
            case PublishCompression.Zstd:
                await Run("zstd", ["--quiet", "--force", "--no-progress", "-o", destination, "--", source], cancellationToken).ConfigureAwait(false);
                return CompressionKind.Zstd;

            case PublishCompression.Xz:
                // One thread: multi-threaded xz splits into blocks differently, so bytes would depend on the machine.
                await InPlace("xz", ["--compress", "--force", "--threads=1", "--suffix=.xz"], ".xz", source, destination, cancellationToken).ConfigureAwait(false);
                return CompressionKind.Xz;

            case PublishCompression.Gzip:
                // --no-name: no file name or time stamp in the header, so the same payload gives the same bytes.
                await InPlace("gzip", ["--no-name", "--force", "--suffix=.gz"], ".gz", source, destination, cancellationToken).ConfigureAwait(false);
                return CompressionKind.Gzip;

            default:
                throw new ArgumentOutOfRangeException(nameof(compression));
        }
    }

    private async Task InPlace(string tool, string[] arguments, string suffix, string source, string destination, CancellationToken cancellationToken)
    {
        var work = destination + ".in";
        try
        {
            File.Copy(source, work, overwrite: true);
            await Run(tool, [.. arguments, "--", work], cancellationToken).ConfigureAwait(false);
            File.Move(work + suffix, destination, overwrite: true);
        }
        finally
        {
            File.Delete(work);
            File.Delete(work + suffix);
        }
    }

    private Task<ProcessResult> Run(string tool, string[] arguments, CancellationToken cancellationToken) =>
        runner.RunAsync(new ProcessRequest(tool, arguments) { Timeout = ToolTimeout }, cancellationToken);

    private static CompressionKind Detect(string path)
    {
        Span<byte> head = stackalloc byte[CompressionDetector.HeadLength];
        using var stream = File.OpenRead(path);
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return CompressionDetector.Detect(head[..read]);
    }
}
