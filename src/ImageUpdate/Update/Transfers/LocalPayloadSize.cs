using ImageUpdate.Formats.Compression;
using ImageUpdate.Platform.FileSystem;

namespace ImageUpdate.Update.Transfers;

/// <summary>The bytes a local payload file writes when that is its own length: a regular file, not compressed (by its first bytes).</summary>
public static class LocalPayloadSize
{
    /// <summary>The length of <paramref name="path"/> (symlinks followed) when it is an uncompressed regular file; null otherwise.</summary>
    public static long? Of(string path)
    {
        try
        {
            var resolved = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
            if (FileMetadata.TryGetStatus(resolved) is not { Kind: FileKind.Regular, Size: var size })
            {
                return null;
            }

            using var file = new FileStream(resolved, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            Span<byte> head = stackalloc byte[CompressionDetector.HeadLength];
            var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return CompressionDetector.Detect(head[..read]) == CompressionKind.None ? size : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
