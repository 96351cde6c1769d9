using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Foundation.Native;

/// <summary>fsync/syncfs/sync (.NET only flushes files opened for writing and never directories), and dropping a durable range from the page cache.</summary>
internal static partial class Libc
{
    [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncRaw(SafeFileHandle fd);

    [LibraryImport(Library, EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFsRaw(SafeFileHandle fd);

    [LibraryImport(Library, EntryPoint = "sync")]
    internal static partial void Sync();

    [LibraryImport(Library, EntryPoint = "posix_fadvise")]
    private static partial int FadviseRaw(SafeFileHandle fd, long offset, long count, int advice);

    // POSIX_FADV_DONTNEED: the range will not be read again soon; its clean pages are dropped.
    private const int FadviseDontNeed = 4;

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

    /// <summary>
    /// Drops the clean cached pages of <paramref name="count"/> bytes at <paramref name="offset"/> of
    /// <paramref name="fd"/> (posix_fadvise DONTNEED). A hint that frees memory and nothing else, so a
    /// refusal (its error number is the return value) is ignored: the pages are only reclaimed later.
    /// </summary>
    internal static void DropCachedRange(SafeFileHandle fd, long offset, long count) => _ = FadviseRaw(fd, offset, count, FadviseDontNeed);

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
