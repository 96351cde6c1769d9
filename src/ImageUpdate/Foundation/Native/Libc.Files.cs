using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// The file and directory calls: open/openat, getdents64, and the path calls that act on the name
/// itself, never on what a symlink points to (open with O_NOFOLLOW, fchmodat/utimensat with
/// AT_SYMLINK_NOFOLLOW, lchown, link without AT_SYMLINK_FOLLOW), fchmod, and the rename/mkfifo/rmdir
/// calls .NET has no exact counterpart for. Each is imported once; the nested classes are the views
/// the GPT, staging and partition code read them through.
/// </summary>
internal static partial class Libc
{
    internal const int AtFdCwd = -100;
    internal const int AtSymlinkNoFollow = 0x100;

    internal const int OReadOnly = 0;
    internal const int OWriteOnly = 1;
    internal const int OReadWrite = 2;
    internal const int OCreate = 0x40;
    internal const int OExclusive = 0x80;
    internal const int ONoControllingTerminal = 0x100;
    internal const int OCloseOnExec = 0x80000;

    internal const int ONonBlocking = 0x800;

    internal const uint RenameNoReplace = 1;

    internal const int EPerm = 1;
    internal const int ENoEnt = 2;
    internal const int EIntr = 4;
    internal const int EAgain = 11;
    internal const int EAccess = 13;
    internal const int EBusy = 16;
    internal const int EExist = 17;
    internal const int ENotDir = 20;
    internal const int EIsDir = 21;
    internal const int EInval = 22;
    internal const int ENoSys = 38;
    internal const int ENotEmpty = 39;
    internal const int ENotSupported = 95;

    // O_DIRECTORY and O_NOFOLLOW are the two open flags whose values differ between the
    // architectures Linux supports (asm-generic vs x86); everything else above is shared.
    private static bool IsArmFamily => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;

    internal static int ODirectory => IsArmFamily ? 0x4000 : 0x10000;

    internal static int ONoFollow => IsArmFamily ? 0x8000 : 0x20000;

    [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenRaw(string path, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "openat", SetLastError = true)]
    private static unsafe partial int OpenAtRaw(SafeFileHandle dirFd, byte* name, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "getdents64", SetLastError = true)]
    private static unsafe partial nint GetDents64Raw(SafeFileHandle dirFd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FchmodRaw(SafeFileHandle fd, uint mode);

    [LibraryImport(Library, EntryPoint = "unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Unlink(string path);

    [LibraryImport(Library, EntryPoint = "rmdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int RemoveDirectory(string path);

    [LibraryImport(Library, EntryPoint = "linkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LinkAt(int oldDirFd, string oldPath, int newDirFd, string newPath, int flags);

    [LibraryImport(Library, EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeFifoRaw(string path, uint mode);

    [LibraryImport(Library, EntryPoint = "fchmodat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int ChangeModeAt(int dirFd, string path, uint mode, int flags);

    [LibraryImport(Library, EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int ChangeOwnerNoFollow(string path, uint uid, uint gid);

    [LibraryImport(Library, EntryPoint = "utimensat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int UpdateTimesAt(int dirFd, string path, TimeSpec* times, int flags);

    [LibraryImport(Library, EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    /// <summary>open(2) returning an owned handle; throws IOException naming the path on failure.</summary>
    internal static SafeFileHandle Open(string path, int flags, uint mode = 0)
    {
        while (true)
        {
            var fd = OpenRaw(path, flags | OCloseOnExec, mode);
            if (fd >= 0)
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            if (Marshal.GetLastPInvokeError() != EIntr)
            {
                throw Error("Cannot open", path);
            }
        }
    }

    /// <summary>Hard link <paramref name="newPath"/> to the entry at <paramref name="existingPath"/>; a symlink is linked as itself.</summary>
    internal static void Link(string existingPath, string newPath)
    {
        if (LinkAt(AtFdCwd, existingPath, AtFdCwd, newPath, 0) != 0)
        {
            throw Error("Cannot create hard link", newPath);
        }
    }

    internal static void MakeFifo(string path, uint mode)
    {
        if (MakeFifoRaw(path, mode) != 0)
        {
            throw Error("Cannot create FIFO", path);
        }
    }

    /// <summary>chmod that refuses symlinks (EOPNOTSUPP) instead of changing their target.</summary>
    internal static void ChangeModeNoFollow(string path, uint mode)
    {
        if (ChangeModeAt(AtFdCwd, path, mode, AtSymlinkNoFollow) != 0)
        {
            throw Error("Cannot change the mode of", path);
        }
    }

    internal static void ChangeOwner(string path, uint uid, uint gid)
    {
        if (ChangeOwnerNoFollow(path, uid, gid) != 0)
        {
            throw Error("Cannot change the owner of", path);
        }
    }

    /// <summary>Sets the modification time of the entry itself (a symlink's own time), leaving the access time alone.</summary>
    internal static unsafe void SetModificationTimeNoFollow(string path, long seconds, long nanoseconds)
    {
        var times = stackalloc TimeSpec[2];
        times[0] = new TimeSpec { Seconds = 0, Nanoseconds = TimeSpec.Omit };
        times[1] = new TimeSpec { Seconds = seconds, Nanoseconds = nanoseconds };
        if (UpdateTimesAt(AtFdCwd, path, times, AtSymlinkNoFollow) != 0)
        {
            throw Error("Cannot set the modification time of", path);
        }
    }

    /// <summary>renameat2(2); returns errno (0 on success) so callers can fall back on EINVAL.</summary>
    internal static int Rename(string from, string to, uint flags)
    {
        return RenameAt2(AtFdCwd, from, AtFdCwd, to, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Like <see cref="Error(string, string)"/> for an errno the caller already holds.</summary>
    internal static IOException Error(int errno, string what, string path) =>
        new($"{what} '{Errors.UntrustedText.Escape(path)}': {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    /// <summary>The staging validator's view: directory-fd calls for an untrusted directory (openat/getdents64 relative to the kept fd, never a path re-resolved through the tree); every wrapper returns errno.</summary>
    internal static partial class Staging
    {
        internal const int OpenReadOnly = OReadOnly;
        internal const int OpenNoControllingTty = ONoControllingTerminal;
        internal const int OpenNonBlocking = ONonBlocking;
        internal const int OpenCloseOnExec = OCloseOnExec;
        internal const int OpenPath = 0x200000; // O_PATH

        internal const int AtSymlinkNoFollow = Libc.AtSymlinkNoFollow;
        internal const int AtNoAutomount = 0x800; // AT_NO_AUTOMOUNT
        internal const int AtEmptyPath = 0x1000;  // AT_EMPTY_PATH

        internal const int ErrnoNoEntry = ENoEnt;
        internal const int ErrnoInterrupted = EIntr;
        internal const int ErrnoNoDeviceOrAddress = 6; // ENXIO: open(2) of a socket, or a device with no driver
        internal const int ErrnoNotDirectory = ENotDir;
        internal const int ErrnoLoop = 40;             // ELOOP: O_NOFOLLOW met a symlink

        internal static int OpenDirectory => ODirectory;

        internal static int OpenNoFollow => ONoFollow;

        /// <summary>open(2) of a trusted path (the staging directory itself); O_CLOEXEC is always added.</summary>
        internal static int TryOpen(string path, int flags, out SafeFileHandle handle)
        {
            while (true)
            {
                var fd = Libc.OpenRaw(path, flags | OpenCloseOnExec, 0);
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
                    var fd = Libc.OpenAtRaw(directory, pointer, flags | OpenCloseOnExec, 0);
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

        /// <summary>getdents64(2): fills <paramref name="buffer"/> with linux_dirent64 records; returns the byte count (0 at the end) or -errno.</summary>
        internal static unsafe int ReadEntries(SafeFileHandle directory, Span<byte> buffer)
        {
            fixed (byte* pointer = buffer)
            {
                while (true)
                {
                    var count = Libc.GetDents64Raw(directory, pointer, (nuint)buffer.Length);
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

    /// <summary>The GPT code's view: open without .NET's own advisory lock, on a raw fd.</summary>
    internal static partial class Gpt
    {
        internal const int OpenReadOnly = OReadOnly;
        internal const int OpenReadWrite = OReadWrite;
        internal const int OpenCloseOnExec = OCloseOnExec;

        internal static int Open(string path, int flags) => OpenRaw(path, flags, 0);
    }

    /// <summary>The partition targets' view: O_DIRECT for writing a block device.</summary>
    internal static partial class Partitions
    {
        /// <summary>O_DIRECT, whose value differs between architectures (asm-generic, arm, powerpc).</summary>
        internal static int OpenDirect => RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm or Architecture.Arm64 => 0x10000, // 0200000
            Architecture.Ppc64le => 0x20000,                   // 0400000
            _ => 0x4000,                                       // 040000: x86, x86-64, riscv64, s390x, loongarch64
        };
    }

    /// <summary>Reading around the page cache: O_DIRECT switched on an open file with fcntl(F_SETFL).</summary>
    internal static partial class DirectIo
    {
        private const int GetStatusFlags = 3; // F_GETFL, the same on every Linux architecture
        private const int SetStatusFlags = 4; // F_SETFL

        /// <summary>Sets or clears O_DIRECT on <paramref name="handle"/>; 0, or the errno (EINVAL where the file system has no direct I/O).</summary>
        internal static int TrySet(SafeFileHandle handle, bool direct)
        {
            var flags = Fcntl(handle, GetStatusFlags, 0);
            if (flags < 0)
            {
                return Marshal.GetLastPInvokeError();
            }

            var wanted = direct ? flags | Partitions.OpenDirect : flags & ~Partitions.OpenDirect;
            return wanted == flags || Fcntl(handle, SetStatusFlags, wanted) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }

        [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
        private static partial int Fcntl(SafeFileHandle handle, int command, int argument);
    }

    internal static partial class Btrfs
    {
        internal static int TryChangeMode(SafeFileHandle handle, uint mode) =>
            Libc.FchmodRaw(handle, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct TimeSpec
    {
        /// <summary>UTIME_OMIT: leave this timestamp unchanged.</summary>
        internal const long Omit = (1L << 30) - 2;

        internal long Seconds;
        internal long Nanoseconds;
    }
}
