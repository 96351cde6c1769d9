using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Native;

/// <summary>The inode flags chattr(1) sets (FS_IOC_GETFLAGS/FS_IOC_SETFLAGS), needed to delete an immutable file.</summary>
internal static partial class Libc
{
    internal const int FlagImmutable = 0x10; // FS_IMMUTABLE_FL
    internal const int FlagAppendOnly = 0x20; // FS_APPEND_FL

    // _IOR('f', 1, long) and _IOW('f', 2, long) with 8-byte long; the kernel reads and writes an int.
    private const ulong GetFlagsRequest = 0x80086601;
    private const ulong SetFlagsRequest = 0x40086602;

    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int IoctlRaw(SafeFileHandle fd, ulong request, int* argument);

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
}
