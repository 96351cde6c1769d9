using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// rename(2) that is durable and, on request, never replaces: sysupdate moves `.sysupdate.partial.X` to
/// `.sysupdate.pending.X` to `X` this way, so a crash leaves either the old or the new name.
/// </summary>
public static class AtomicRename
{
    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/>, then fsyncs what was renamed (a file or
    /// directory) and the directories of both names. With <paramref name="replace"/> false an existing <paramref name="to"/> is an IOException
    /// (EEXIST) and is left untouched. Neither name is followed if it is a symlink.
    /// </summary>
    public static void Rename(string from, string to, bool replace)
    {
        var errno = Libc.Rename(from, to, replace ? 0 : Libc.RenameNoReplace);
        if (errno is Libc.EInval or Libc.ENoSys or Libc.ENotSupported && !replace)
        {
            // The file system cannot do RENAME_NOREPLACE (vfat before Linux 6.x, some FUSE): fall back
            // the way systemd's rename_noreplace() does.
            RenameWithoutReplacing(from, to);
        }
        else if (errno != 0)
        {
            throw Libc.Error(errno, $"Cannot rename '{Foundation.Errors.UntrustedText.Escape(from)}' to", to);
        }

        // The entry first, then the directories: on vfat the new name is only whole once the renamed
        // file's inode is written (Durability.FsyncRenamed).
        Durability.FsyncRenamed(to);
        var toParent = Durability.ParentOf(to);
        var fromParent = Durability.ParentOf(from);
        Durability.FsyncDirectory(toParent);
        if (fromParent != toParent)
        {
            Durability.FsyncDirectory(fromParent);
        }
    }

    private static void RenameWithoutReplacing(string from, string to)
    {
        var source = FileMetadata.GetStatus(from);
        if (source.Kind != FileKind.Directory)
        {
            // A hard link fails atomically with EEXIST when the name is taken.
            try
            {
                Libc.Link(from, to);
                if (Libc.Unlink(from) != 0)
                {
                    throw Libc.Error("Cannot remove", from);
                }

                return;
            }
            catch (IOException e) when (e.HResult == Libc.EExist)
            {
                throw;
            }
            catch (IOException)
            {
                // No hard links here (vfat): the check below is all that is left.
            }
        }

        if (FileMetadata.TryGetStatus(to) is not null)
        {
            throw Libc.Error(Libc.EExist, $"Cannot rename '{Foundation.Errors.UntrustedText.Escape(from)}' to", to);
        }

        var errno = Libc.Rename(from, to, 0);
        if (errno != 0)
        {
            throw Libc.Error(errno, $"Cannot rename '{Foundation.Errors.UntrustedText.Escape(from)}' to", to);
        }
    }
}
