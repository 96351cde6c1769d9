using ImageUpdate.Foundation.Native;

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
