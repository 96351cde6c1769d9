using System.Runtime.InteropServices;

namespace ImageUpdate.Native;

/// <summary>
/// statx(2) rather than lstat(2): its buffer has one layout on every architecture, where struct stat
/// differs between x86-64 and arm64.
/// </summary>
internal static partial class Libc
{
    private const uint StatxBasicStats = 0x7ff;

    internal const uint FileTypeMask = 0xF000; // S_IFMT
    internal const uint TypeSocket = 0xC000;
    internal const uint TypeSymlink = 0xA000;
    internal const uint TypeRegular = 0x8000;
    internal const uint TypeBlockDevice = 0x6000;
    internal const uint TypeDirectory = 0x4000;
    internal const uint TypeCharacterDevice = 0x2000;
    internal const uint TypeFifo = 0x1000;

    [LibraryImport(Library, EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int StatxRaw(int dirFd, string path, int flags, uint mask, StatxBuffer* buffer);

    /// <summary>lstat semantics: describes a symlink itself. Returns errno (0 on success) so callers can treat ENOENT as absence.</summary>
    internal static unsafe int TryStatNoFollow(string path, out StatxBuffer buffer)
    {
        StatxBuffer result;
        var rc = StatxRaw(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, &result);
        buffer = result;
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>struct statx from linux/stat.h (256 bytes); only the fields this project reads are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct StatxBuffer
    {
        [FieldOffset(16)] internal uint NumberOfLinks;
        [FieldOffset(20)] internal uint Uid;
        [FieldOffset(24)] internal uint Gid;
        [FieldOffset(28)] internal ushort Mode;
        [FieldOffset(32)] internal ulong Inode;
        [FieldOffset(40)] internal ulong Size;
        [FieldOffset(112)] internal long ModificationSeconds;
        [FieldOffset(120)] internal uint ModificationNanoseconds;
        [FieldOffset(128)] internal uint DeviceMajorOfNode;
        [FieldOffset(132)] internal uint DeviceMinorOfNode;
        [FieldOffset(136)] internal uint DeviceMajor;
        [FieldOffset(140)] internal uint DeviceMinor;
    }
}
