using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// statx(2) rather than lstat(2) (its buffer has one layout on every architecture, where struct stat
/// differs between x86-64 and arm64), and statfs/fstatfs for a file system's type. Each is imported
/// once; the nested classes are the views the staging, partition, boot and BTRFS code read them through.
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

    /// <summary>AT_FDCWD as a handle, for the path calls imported with a directory fd.</summary>
    private static readonly SafeFileHandle CurrentDirectory = new(AtFdCwd, ownsHandle: false);

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true)]
    private static unsafe partial int StatxRaw(SafeFileHandle dirFd, byte* path, int flags, uint mask, void* buffer);

    [LibraryImport(Library, EntryPoint = "statfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int StatFsRaw(string path, byte* buffer);

    [LibraryImport(Library, EntryPoint = "fstatfs", SetLastError = true)]
    private static unsafe partial int FstatfsRaw(SafeFileHandle fd, byte* buffer);

    /// <summary>lstat semantics: describes a symlink itself. Returns errno (0 on success) so callers can treat ENOENT as absence.</summary>
    internal static int TryStatNoFollow(string path, out StatxBuffer buffer) => TryStatPath(path, AtSymlinkNoFollow, out buffer);

    /// <summary>statx(2) of a path relative to the current directory; returns errno.</summary>
    private static unsafe int TryStatPath(string path, int flags, out StatxBuffer buffer)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        StatxBuffer result;
        int rc;
        fixed (byte* pointer = name)
        {
            rc = StatxRaw(CurrentDirectory, pointer, flags, StatxBasicStats, &result);
        }

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

    /// <summary>The staging validator's view: statx relative to a kept directory fd, and of an open fd.</summary>
    internal static partial class Staging
    {
        /// <summary>lstat of one raw name inside <paramref name="directory"/>: a symlink is described, not followed; no automount is triggered.</summary>
        internal static unsafe int TryStatAt(SafeFileHandle directory, ReadOnlySpan<byte> name, out Stat stat)
        {
            Span<byte> terminated = name.Length < 1024 ? stackalloc byte[name.Length + 1] : new byte[name.Length + 1];
            name.CopyTo(terminated);
            terminated[name.Length] = 0;
            Stat result;
            int rc;
            fixed (byte* pointer = terminated)
            {
                rc = Libc.StatxRaw(directory, pointer, AtSymlinkNoFollow | AtNoAutomount, StatxBasicStats, &result);
            }

            stat = result;
            return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        }

        /// <summary>fstat(2) of an open fd, through statx(fd, "", AT_EMPTY_PATH).</summary>
        internal static unsafe int TryStat(SafeFileHandle handle, out Stat stat)
        {
            byte empty = 0;
            Stat result;
            var rc = Libc.StatxRaw(handle, &empty, AtEmptyPath | AtSymlinkNoFollow, StatxBasicStats, &result);
            stat = result;
            return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        }

        /// <summary>struct statx (linux/stat.h, 256 bytes, one layout on every architecture); only the fields used here are named.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 256)]
        internal struct Stat
        {
            [FieldOffset(16)] internal uint NumberOfLinks;
            [FieldOffset(28)] internal ushort Mode;
            [FieldOffset(32)] internal ulong Inode;
            [FieldOffset(40)] internal ulong Size;
            [FieldOffset(96)] internal long ChangeSeconds;
            [FieldOffset(104)] internal uint ChangeNanoseconds;
            [FieldOffset(112)] internal long ModificationSeconds;
            [FieldOffset(120)] internal uint ModificationNanoseconds;
            [FieldOffset(136)] internal uint DeviceMajor;
            [FieldOffset(140)] internal uint DeviceMinor;
        }
    }

    /// <summary>The partition targets' view: stat that follows symlinks (Path= may be one).</summary>
    internal static partial class Partitions
    {
        /// <summary>stat semantics (follows symlinks). Returns errno, 0 on success.</summary>
        internal static int TryStat(string path, out StatxBuffer buffer) => TryStatPath(path, 0, out buffer);
    }

    /// <summary>The ESP check's view: a mounted file system's type.</summary>
    internal static class FileSystemType
    {
        /// <summary>f_type of FAT file systems (MSDOS_SUPER_MAGIC).</summary>
        public const long Fat = 0x4d44;

        /// <summary>statfs(2); on 64-bit Linux f_type is the first 8 bytes of struct statfs.</summary>
        public static unsafe long? Of(string path)
        {
            var buffer = stackalloc byte[256];
            return StatFsRaw(path, buffer) == 0 ? *(long*)buffer : null;
        }
    }

    /// <summary>The free-space check's view: what an unprivileged writer may still allocate.</summary>
    internal static class FreeSpace
    {
        /// <summary>
        /// statfs(2): f_bavail blocks of f_bsize bytes (struct statfs of 64-bit Linux: f_type, f_bsize,
        /// f_blocks, f_bfree, f_bavail, each 8 bytes), or null with the errno in <paramref name="error"/>.
        /// </summary>
        public static unsafe long? Available(string path, out int error)
        {
            var buffer = stackalloc byte[256];
            if (StatFsRaw(path, buffer) != 0)
            {
                error = Marshal.GetLastPInvokeError();
                return null;
            }

            error = 0;
            var blockSize = *(long*)(buffer + 8);
            var available = *(ulong*)(buffer + 32);
            return available > (ulong)(long.MaxValue / Math.Max(blockSize, 1)) ? long.MaxValue : (long)available * blockSize;
        }

        /// <summary>
        /// statfs(2) as <see cref="Available"/>, with the block size and f_fsid (offset 56: after f_files
        /// and f_ffree), which tells two directories on one file system apart from two on different ones;
        /// null when statfs fails.
        /// </summary>
        public static unsafe (long Available, long BlockSize, ulong FileSystemId)? Describe(string path)
        {
            var buffer = stackalloc byte[256];
            if (StatFsRaw(path, buffer) != 0)
            {
                return null;
            }

            var blockSize = Math.Max(*(long*)(buffer + 8), 1);
            var available = *(ulong*)(buffer + 32);
            var bytes = available > (ulong)(long.MaxValue / blockSize) ? long.MaxValue : (long)available * blockSize;
            return (bytes, blockSize, *(ulong*)(buffer + 56) ^ ((ulong)*(long*)buffer << 32));
        }
    }

    internal static partial class Btrfs
    {
        /// <summary>fstatfs(2)'s f_type (the first word of struct statfs on 64-bit and 32-bit Linux); returns errno.</summary>
        internal static unsafe int TryFileSystemType(SafeFileHandle handle, out uint type)
        {
            // struct statfs is 120 bytes on 64-bit Linux and 84 (statfs64: 120) on 32-bit; 256 covers both.
            var buffer = stackalloc byte[256];
            if (Libc.FstatfsRaw(handle, buffer) != 0)
            {
                type = 0;
                return Marshal.GetLastPInvokeError();
            }

            type = IntPtr.Size == 8 ? (uint)*(ulong*)buffer : *(uint*)buffer;
            return 0;
        }
    }
}
