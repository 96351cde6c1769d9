using System.Runtime.InteropServices;

namespace ImageUpdate.Native;

/// <summary>
/// What the GPT code needs from libc beyond .NET: open without .NET's own advisory lock, flock for the
/// whole-device lock that udev and systemd-sysupdate also honour, and the block-device ioctls (logical
/// sector size, size in bytes, re-read the partition table).
/// </summary>
internal static partial class Libc
{
    /// <summary>Nested so the names cannot collide with other concerns' partial files of <see cref="Libc"/>.</summary>
    internal static partial class Gpt
    {
        internal const int LockShared = 1;    // LOCK_SH
        internal const int LockExclusive = 2; // LOCK_EX
        internal const int LockUnlock = 8;    // LOCK_UN

        internal const int OpenReadOnly = 0x0;       // O_RDONLY
        internal const int OpenReadWrite = 0x2;      // O_RDWR
        internal const int OpenCloseOnExec = 0x80000; // O_CLOEXEC

        internal const int ErrnoInterrupted = 4; // EINTR
        internal const int ErrnoBusy = 16;       // EBUSY
        internal const int ErrnoInvalid = 22;    // EINVAL
        internal const int ErrnoNotTty = 25;     // ENOTTY

        // linux/fs.h: _IO(0x12, 95), _IO(0x12, 104), _IOR(0x12, 114, size_t).
        internal const nuint BlkRrPart = 0x125F;
        internal const nuint BlkSszGet = 0x1268;
        internal const nuint BlkGetSize64 = 0x80081272;

        [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int Open(string path, int flags);

        [LibraryImport(Library, EntryPoint = "flock", SetLastError = true)]
        internal static partial int Flock(int fd, int operation);

        [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
        internal static partial int IoctlInt(int fd, nuint request, out int value);

        [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
        internal static partial int IoctlUInt64(int fd, nuint request, out ulong value);

        [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
        internal static partial int IoctlNone(int fd, nuint request);

        [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
        internal static partial int Fsync(int fd);
    }
}
