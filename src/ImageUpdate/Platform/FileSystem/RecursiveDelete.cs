using System.Runtime.InteropServices;
using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// rm -rf that never leaves the tree it was given: a symlink is removed as itself, whatever it points
/// to; a directory without write permission for us is made writable first; an immutable or
/// append-only flag (chattr +i/+a) that blocks a removal is cleared and the removal retried.
/// </summary>
public static class RecursiveDelete
{
    private const UnixFileMode OwnerAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Removes <paramref name="path"/> and, if it is a directory, everything below it. Returns false when nothing was there.</summary>
    public static bool Delete(string path)
    {
        var status = FileMetadata.TryGetStatus(path);
        if (status is null)
        {
            return false;
        }

        DeleteEntry(path, status);
        return true;
    }

    /// <summary>
    /// Removes the directories above <paramref name="path"/> that are empty, innermost first, stopping
    /// at the first one that is not empty and never removing <paramref name="stopAt"/> or anything above
    /// it. Returns how many directories were removed.
    /// </summary>
    public static int PruneEmptyParents(string path, string stopAt)
    {
        var stop = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stopAt));
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!IsBelow(full, stop))
        {
            throw new ArgumentException($"'{Foundation.Errors.UntrustedText.Escape(path)}' is not below '{Foundation.Errors.UntrustedText.Escape(stopAt)}'.", nameof(path));
        }

        var removed = 0;
        var current = Path.GetDirectoryName(full);
        while (current is not null && IsBelow(current, stop))
        {
            if (Libc.RemoveDirectory(current) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.ENoEnt)
                {
                    current = Path.GetDirectoryName(current);
                    continue;
                }

                // Not empty, a symlink (ENOTDIR: rmdir never follows), a mount point: the pruning ends here.
                if (errno is Libc.ENotEmpty or Libc.EExist or Libc.ENotDir or Libc.EBusy)
                {
                    break;
                }

                throw Libc.Error(errno, "Cannot remove directory", current);
            }

            removed++;
            current = Path.GetDirectoryName(current);
        }

        return removed;
    }

    private static bool IsBelow(string candidate, string directory) =>
        directory == "/"
            ? candidate.Length > 1 && candidate[0] == '/'
            : candidate.Length > directory.Length + 1 && candidate.StartsWith(directory + "/", StringComparison.Ordinal);

    private static void DeleteEntry(string path, FileStatus status)
    {
        if (status.Kind == FileKind.Directory)
        {
            if ((status.Mode & OwnerAll) != OwnerAll)
            {
                FileMetadata.SetMode(path, status.Mode | OwnerAll);
            }

            foreach (var child in Directory.EnumerateFileSystemEntries(path).ToList())
            {
                var childStatus = FileMetadata.TryGetStatus(child);
                if (childStatus is not null)
                {
                    DeleteEntry(child, childStatus);
                }
            }

            Remove(path, status, directory: true);
        }
        else
        {
            Remove(path, status, directory: false);
        }
    }

    private static void Remove(string path, FileStatus status, bool directory)
    {
        if (TryRemove(path, directory, out var errno))
        {
            return;
        }

        if (errno == Libc.EPerm)
        {
            // Either the entry itself (unlink of an immutable file) or its directory (no entry of an
            // immutable directory can go) may carry the flag; clear both before the one retry.
            var clearedEntry = ClearProtectiveFlags(path, status);
            var clearedParent = ClearProtectiveFlags(Durability.ParentOf(path), null);
            if ((clearedEntry || clearedParent) && TryRemove(path, directory, out errno))
            {
                return;
            }
        }

        throw Libc.Error(errno, directory ? "Cannot remove directory" : "Cannot remove", path);
    }

    private static bool TryRemove(string path, bool directory, out int errno)
    {
        var result = directory ? Libc.RemoveDirectory(path) : Libc.Unlink(path);
        errno = result == 0 ? 0 : Marshal.GetLastPInvokeError();
        return result == 0 || errno == Libc.ENoEnt;
    }

    /// <summary>Clears chattr +i/+a on a regular file or directory (never opening devices or following links); true when a flag was cleared.</summary>
    private static bool ClearProtectiveFlags(string path, FileStatus? status)
    {
        status ??= FileMetadata.TryGetStatus(path);
        if (status is null || status.Kind is not (FileKind.Regular or FileKind.Directory))
        {
            return false;
        }

        using var handle = Libc.Open(path, Libc.OReadOnly | Libc.ONoFollow | Libc.ONonBlocking | Libc.ONoControllingTerminal);
        if (Libc.TryGetInodeFlags(handle, out var flags) != 0 || (flags & (Libc.FlagImmutable | Libc.FlagAppendOnly)) == 0)
        {
            return false;
        }

        return Libc.TrySetInodeFlags(handle, flags & ~(Libc.FlagImmutable | Libc.FlagAppendOnly)) == 0;
    }
}
