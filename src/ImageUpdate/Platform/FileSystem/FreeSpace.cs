using ImageUpdate.Foundation.Errors;
using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// The room left on a file system, asked before a write whose size is known, so a full target (an
/// ESP a UKI does not fit on) is refused with both numbers instead of failing half-way with ENOSPC.
/// </summary>
public static class FreeSpace
{
    /// <summary>The bytes an unprivileged writer may still allocate on the file system holding <paramref name="path"/>; null when statfs fails.</summary>
    public static long? Available(string path) => Libc.FreeSpace.Available(path, out _);

    /// <summary>
    /// The room of the file system that holds <paramref name="path"/>, or would hold it once created (its
    /// nearest existing ancestor is asked): the bytes free for an unprivileged writer, the block size
    /// allocations are rounded to, and an identity shared by every directory of that file system; null
    /// when statfs fails.
    /// </summary>
    public static (long Available, long BlockSize, ulong FileSystemId)? Describe(string path)
    {
        for (var existing = Path.GetFullPath(path); ; existing = Path.GetDirectoryName(existing)!)
        {
            if (Directory.Exists(existing) || Path.GetDirectoryName(existing) is null)
            {
                return Libc.FreeSpace.Describe(existing);
            }
        }
    }

    /// <summary>
    /// Refuses when the file system holding <paramref name="directory"/> has fewer than
    /// <paramref name="needed"/> bytes free for <paramref name="what"/>. The check is a courtesy, not
    /// a promise (metadata and other writers take room too): a write can still fail with ENOSPC.
    /// </summary>
    public static void Require(string directory, long needed, string what)
    {
        if (Available(directory) is { } available && available < needed)
        {
            throw new UpdateException(
                $"Not enough free space in '{UntrustedText.Escape(directory)}' for {what}: {needed} bytes needed, {available} bytes available, refusing.");
        }
    }
}
