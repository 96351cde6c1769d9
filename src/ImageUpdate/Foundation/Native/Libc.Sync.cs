using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Foundation.Native;

/// <summary>fsync/syncfs/sync: .NET only flushes files opened for writing and never directories.</summary>
internal static partial class Libc
{
    [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncRaw(SafeFileHandle fd);

    [LibraryImport(Library, EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFsRaw(SafeFileHandle fd);

    [LibraryImport(Library, EntryPoint = "sync")]
    internal static partial void Sync();

    internal static void Fsync(SafeFileHandle fd, string path)
    {
        while (FsyncRaw(fd) != 0)
        {
            if (Marshal.GetLastPInvokeError() != EIntr)
            {
                throw Error("Cannot fsync", path);
            }
        }
    }

    internal static void SyncFileSystem(SafeFileHandle fd, string path)
    {
        if (SyncFsRaw(fd) != 0)
        {
            throw Error("Cannot syncfs the file system of", path);
        }
    }

    internal static partial class Gpt
    {
        /// <summary>fsync(2) of a raw fd; returns its result.</summary>
        internal static int Fsync(int fd) => FsyncRaw(Borrowed(fd));
    }
}
