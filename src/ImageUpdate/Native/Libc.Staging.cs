using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Native;

/// <summary>
/// Directory-fd calls for validating an untrusted directory: getdents64 for the raw name bytes,
/// openat/statx relative to the kept directory fd (never a path re-resolved through the tree), and
/// fstat through statx(AT_EMPTY_PATH). Every wrapper returns errno (0 on success) so the caller can
/// turn ELOOP and ENXIO into "symbolic link" and "socket" rather than an I/O error.
/// </summary>
internal static partial class Libc
{
    /// <summary>Nested so the names cannot collide with other concerns' partial files of <see cref="Libc"/>.</summary>
    internal static partial class Staging
    {
        internal const int OpenReadOnly = 0x0;           // O_RDONLY
        internal const int OpenNoControllingTty = 0x100; // O_NOCTTY
        internal const int OpenNonBlocking = 0x800;      // O_NONBLOCK
        internal const int OpenCloseOnExec = 0x80000;    // O_CLOEXEC
        internal const int OpenPath = 0x200000;          // O_PATH

        internal const int AtSymlinkNoFollow = 0x100; // AT_SYMLINK_NOFOLLOW
        internal const int AtNoAutomount = 0x800;     // AT_NO_AUTOMOUNT
        internal const int AtEmptyPath = 0x1000;      // AT_EMPTY_PATH

        internal const int ErrnoNoEntry = 2;          // ENOENT
        internal const int ErrnoInterrupted = 4;      // EINTR
        internal const int ErrnoNoDeviceOrAddress = 6; // ENXIO: open(2) of a socket, or a device with no driver
        internal const int ErrnoNotDirectory = 20;    // ENOTDIR
        internal const int ErrnoLoop = 40;            // ELOOP: O_NOFOLLOW met a symlink

        private const uint StatxBasicStats = 0x7ff;

        // O_DIRECTORY and O_NOFOLLOW differ between asm-generic (arm, arm64) and x86.
        private static bool IsArmFamily => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;

        internal static int OpenDirectory => IsArmFamily ? 0x4000 : 0x10000;

        internal static int OpenNoFollow => IsArmFamily ? 0x8000 : 0x20000;

        [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        private static partial int OpenRaw(string path, int flags, uint mode);

        [LibraryImport(Library, EntryPoint = "openat", SetLastError = true)]
        private static unsafe partial int OpenAtRaw(SafeFileHandle dirFd, byte* name, int flags, uint mode);

        [LibraryImport(Library, EntryPoint = "statx", SetLastError = true)]
        private static unsafe partial int StatxRaw(SafeFileHandle dirFd, byte* path, int flags, uint mask, Stat* buffer);

        [LibraryImport(Library, EntryPoint = "getdents64", SetLastError = true)]
        private static unsafe partial nint GetDents64Raw(SafeFileHandle dirFd, byte* buffer, nuint count);

        /// <summary>open(2) of a trusted path (the staging directory itself); O_CLOEXEC is always added.</summary>
        internal static int TryOpen(string path, int flags, out SafeFileHandle handle)
        {
            while (true)
            {
                var fd = OpenRaw(path, flags | OpenCloseOnExec, 0);
                if (fd >= 0)
                {
                    handle = new SafeFileHandle(fd, ownsHandle: true);
                    return 0;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != ErrnoInterrupted)
                {
                    handle = new SafeFileHandle();
                    return errno;
                }
            }
        }

        /// <summary>openat(2) of one raw name inside <paramref name="directory"/>; O_CLOEXEC is always added.</summary>
        internal static unsafe int TryOpenAt(SafeFileHandle directory, ReadOnlySpan<byte> name, int flags, out SafeFileHandle handle)
        {
            Span<byte> terminated = name.Length < 1024 ? stackalloc byte[name.Length + 1] : new byte[name.Length + 1];
            name.CopyTo(terminated);
            terminated[name.Length] = 0;
            fixed (byte* pointer = terminated)
            {
                while (true)
                {
                    var fd = OpenAtRaw(directory, pointer, flags | OpenCloseOnExec, 0);
                    if (fd >= 0)
                    {
                        handle = new SafeFileHandle(fd, ownsHandle: true);
                        return 0;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno != ErrnoInterrupted)
                    {
                        handle = new SafeFileHandle();
                        return errno;
                    }
                }
            }
        }

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
                rc = StatxRaw(directory, pointer, AtSymlinkNoFollow | AtNoAutomount, StatxBasicStats, &result);
            }

            stat = result;
            return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        }

        /// <summary>fstat(2) of an open fd, through statx(fd, "", AT_EMPTY_PATH).</summary>
        internal static unsafe int TryStat(SafeFileHandle handle, out Stat stat)
        {
            byte empty = 0;
            Stat result;
            var rc = StatxRaw(handle, &empty, AtEmptyPath | AtSymlinkNoFollow, StatxBasicStats, &result);
            stat = result;
            return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        }

        /// <summary>getdents64(2): fills <paramref name="buffer"/> with linux_dirent64 records; returns the byte count (0 at the end) or -errno.</summary>
        internal static unsafe int ReadEntries(SafeFileHandle directory, Span<byte> buffer)
        {
            fixed (byte* pointer = buffer)
            {
                while (true)
                {
                    var count = GetDents64Raw(directory, pointer, (nuint)buffer.Length);
                    if (count >= 0)
                    {
                        return (int)count;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno != ErrnoInterrupted)
                    {
                        return -errno;
                    }
                }
            }
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

        /// <summary>The layout of struct linux_dirent64 (d_ino, d_off, d_reclen, d_type, d_name).</summary>
        internal static class DirectoryEntry
        {
            internal const int Inode = 0;
            internal const int Offset = Inode + sizeof(ulong);
            internal const int RecordLength = Offset + sizeof(long);
            internal const int Type = RecordLength + sizeof(ushort);
            internal const int Name = Type + sizeof(byte);
        }
    }
}
