using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// ioctl(2), imported once: the inode flags chattr(1) sets (FS_IOC_GETFLAGS/FS_IOC_SETFLAGS, needed to
/// delete an immutable file), the block-device requests the GPT code needs (logical sector size, size
/// in bytes, re-read the partition table) and the BTRFS requests of Libc.Btrfs.cs.
/// </summary>
internal static partial class Libc
{
    internal const int ENotTty = 25; // ENOTTY: the ioctl is not known to this file or file system

    internal const int FlagImmutable = 0x10; // FS_IMMUTABLE_FL
    internal const int FlagAppendOnly = 0x20; // FS_APPEND_FL

    // _IOR('f', 1, long) and _IOW('f', 2, long) with 8-byte long; the kernel reads and writes an int.
    private const nuint GetFlagsRequest = 0x80086601;
    private const nuint SetFlagsRequest = 0x40086602;

    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int IoctlRaw(SafeFileHandle fd, nuint request, void* argument);

    /// <summary>Returns errno (0 on success); file systems without inode flags answer ENOTTY or EOPNOTSUPP.</summary>
    internal static unsafe int TryGetInodeFlags(SafeFileHandle fd, out int flags)
    {
        int value = 0;
        var rc = IoctlRaw(fd, GetFlagsRequest, &value);
        flags = value;
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    internal static unsafe int TrySetInodeFlags(SafeFileHandle fd, int flags)
    {
        var rc = IoctlRaw(fd, SetFlagsRequest, &flags);
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>The GPT code's view: block-device requests on a raw fd; each returns ioctl's result (errno in <see cref="Marshal.GetLastPInvokeError"/>).</summary>
    internal static partial class Gpt
    {
        internal const int ErrnoInterrupted = EIntr;
        internal const int ErrnoBusy = EBusy;
        internal const int ErrnoInvalid = EInval;
        internal const int ErrnoNotTty = ENotTty;


        // linux/fs.h: _IO(0x12, 95), _IO(0x12, 104), _IOR(0x12, 114, size_t).
        internal const nuint BlkRrPart = 0x125F;
        internal const nuint BlkSszGet = 0x1268;
        internal const nuint BlkGetSize64 = 0x80081272;

        internal static unsafe int IoctlInt(int fd, nuint request, out int value)
        {
            int result = 0;
            var rc = IoctlRaw(Borrowed(fd), request, &result);
            value = result;
            return rc;
        }

        internal static unsafe int IoctlUInt64(int fd, nuint request, out ulong value)
        {
            ulong result = 0;
            var rc = IoctlRaw(Borrowed(fd), request, &result);
            value = result;
            return rc;
        }

        internal static unsafe int IoctlNone(int fd, nuint request) => IoctlRaw(Borrowed(fd), request, null);
    }

    internal static partial class Btrfs
    {
        /// <summary>ioctl(2) with a pointer argument; returns errno (0 on success), retrying EINTR.</summary>
        internal static unsafe int TryIoctl(SafeFileHandle handle, nuint request, void* argument)
        {
            while (Libc.IoctlRaw(handle, request, argument) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EIntr)
                {
                    return errno;
                }
            }

            return 0;
        }
    }

    /// <summary>A handle over an fd the caller keeps owning (the GPT code holds raw fds).</summary>
    private static SafeFileHandle Borrowed(int fd) => new(fd, ownsHandle: false);
}
