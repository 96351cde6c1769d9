using ImageUpdate.Foundation.Native;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// The syncs crash safety rests on: a renamed file only survives a power cut once its data and the
/// directory holding its new name are on disk (fsync(2): "calling fsync() does not necessarily
/// ensure that the entry in the directory containing the file has also reached disk").
/// </summary>
public static class Durability
{
    /// <summary>fsync of a file's data and inode (the path is followed).</summary>
    public static void FsyncFile(string path)
    {
        using var handle = Libc.Open(path, Libc.OReadOnly | Libc.ONoControllingTerminal | Libc.ONonBlocking);
        Libc.Fsync(handle, path);
        SyncRecorder.Record("fsync", path);
    }

    /// <summary>fsync of a directory, which makes creations, renames and removals of its entries durable.</summary>
    public static void FsyncDirectory(string path)
    {
        using var handle = Libc.Open(path, Libc.OReadOnly | Libc.ODirectory);
        Libc.Fsync(handle, path);
        SyncRecorder.Record("fsync", path);
    }

    /// <summary>
    /// fsync of a file or directory that was just renamed (not followed; anything else, a symlink
    /// say, is left alone). On vfat a rename writes the new directory entry without the file's
    /// first cluster and size: they reach it only when the inode is written back (Linux
    /// fs/fat/namei_vfat.c, vfat_rename), so an fsync of the directory alone can make the new name
    /// durable as an empty file (found by `make powercut`, tests/powercut/regressions.txt). An
    /// fsync of the entry itself writes them. Where it cannot be opened (no read permission), a
    /// syncfs of its file system does the same.
    /// </summary>
    public static void FsyncRenamed(string path)
    {
        if (FileMetadata.TryGetStatus(path) is not { Kind: FileKind.Regular or FileKind.Directory })
        {
            return;
        }

        SafeFileHandle handle;
        try
        {
            handle = Libc.Open(path, Libc.OReadOnly | Libc.ONoFollow | Libc.ONoControllingTerminal | Libc.ONonBlocking);
        }
        catch (IOException e) when (e.HResult == Libc.EAccess)
        {
            SyncFileSystem(ParentOf(path));
            return;
        }

        using (handle)
        {
            Libc.Fsync(handle, path);
        }

        SyncRecorder.Record("fsync", path);
    }

    /// <summary>
    /// Removes the regular file <paramref name="path"/> so that a power cut leaves either the file
    /// whole or no name for it, for file systems (vfat) whose unlink marks the entry deleted and frees
    /// the cluster chain at once, leaving writeback to put the FAT on disk before the directory: a cut
    /// between the two left a final name over freed clusters, which fsck.fat truncates and which made
    /// the kernel remount the ESP read-only (found by `make powercut`, seed 20261207, run 50). Held open
    /// across the unlink, the file keeps its clusters until it is closed: the first fsync of the
    /// directory (on vfat it writes the directory and the FAT) makes the removal durable with the
    /// clusters still allocated; the second, after the close, makes their release durable. A cut
    /// between the two can only leave unreferenced clusters, which fsck reclaims.
    /// </summary>
    public static void RemoveFileHeld(string path)
    {
        var parent = ParentOf(path);
        using (Libc.Open(path, Libc.OReadOnly | Libc.ONoFollow | Libc.ONoControllingTerminal | Libc.ONonBlocking))
        {
            File.Delete(path);
            FsyncDirectory(parent);
        }

        FsyncDirectory(parent);
    }

    /// <summary>fsync of the directory that holds <paramref name="path"/>.</summary>
    public static void FsyncParentDirectory(string path) => FsyncDirectory(ParentOf(path));

    /// <summary>syncfs(2) of the file system <paramref name="path"/> is on: what sysupdate does after writing a transfer's target.</summary>
    public static void SyncFileSystem(string path)
    {
        using var handle = Libc.Open(path, Libc.OReadOnly | Libc.ONoControllingTerminal | Libc.ONonBlocking);
        Libc.SyncFileSystem(handle, path);
        SyncRecorder.Record("syncfs", path);
    }

    /// <summary>sync(2): every file system.</summary>
    public static void SyncAll()
    {
        Libc.Sync();
        SyncRecorder.Record("sync", "/");
    }

    internal static string ParentOf(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return Path.GetDirectoryName(full) ?? full;
    }
}
