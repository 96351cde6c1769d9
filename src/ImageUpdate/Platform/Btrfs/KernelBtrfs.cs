using System.Text;
using ImageUpdate.Foundation.Errors;
using Microsoft.Win32.SafeHandles;
using Fd = ImageUpdate.Foundation.Native.Libc.Staging;
using Sys = ImageUpdate.Foundation.Native.Libc.Btrfs;

namespace ImageUpdate.Platform.Btrfs;

/// <summary>
/// <see cref="IBtrfs"/> through the kernel's BTRFS ioctls rather than btrfs-progs: every call is a
/// single syscall on a directory fd, so a name is resolved once (no path re-walk between a check and
/// the act, no output to parse) and hosts need no btrfs-progs. btrfs-progs does the same calls
/// (cmds/subvolume.c: SUBVOL_CREATE, SNAP_CREATE_V2 with BTRFS_SUBVOL_RDONLY, SNAP_DESTROY,
/// SUBVOL_GETFLAGS/SETFLAGS); the tests use it as the oracle. Deleting needs CAP_SYS_ADMIN (or the
/// user_subvol_rm_allowed mount option), as with `btrfs subvolume delete`.
/// </summary>
public sealed class KernelBtrfs : IBtrfs
{
    /// <summary>The mode of a new subvolume's root: only root may look into a staging directory.</summary>
    public const UnixFileMode SubvolumeMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static KernelBtrfs Instance { get; } = new();

    private static int OpenDirectoryNoFollow => Fd.OpenReadOnly | Fd.OpenDirectory | Fd.OpenNoFollow;

    public bool IsOnBtrfs(string path)
    {
        // O_PATH|O_NOFOLLOW gives an fd for a symlink itself, so the answer is about the entry, not its target.
        var errno = Fd.TryOpen(path, Fd.OpenPath | Fd.OpenNoFollow, out var handle);
        using (handle)
        {
            if (errno != 0)
            {
                throw BtrfsException.FromErrno("inspect", path, errno);
            }

            return FileSystemType(handle, path) == Sys.SuperMagic;
        }
    }

    public bool IsSubvolume(string path)
    {
        var errno = Fd.TryOpen(path, OpenDirectoryNoFollow, out var handle);
        using (handle)
        {
            if (errno is Fd.ErrnoNoEntry or Fd.ErrnoNotDirectory or Fd.ErrnoLoop)
            {
                return false;
            }

            if (errno != 0)
            {
                throw BtrfsException.FromErrno("inspect", path, errno);
            }

            return IsSubvolumeRoot(handle, path);
        }
    }

    public unsafe void CreateSubvolume(string path)
    {
        var (parentPath, name) = Split(path);
        using var parent = OpenParent(parentPath, path);
        RequireBtrfs(parent, parentPath, "create the BTRFS subvolume", path);
        var args = default(Sys.VolumeArgs);
        CopyName(name, new Span<byte>(args.Name, Sys.PathNameMax + 1), path);
        var errno = Sys.TryIoctl(parent, Sys.SubvolumeCreate, &args);
        if (errno != 0)
        {
            throw BtrfsException.FromErrno("create the BTRFS subvolume", path, errno);
        }

        // The kernel gives the new root directory 0777 & ~umask; set the mode we promise explicitly.
        errno = Fd.TryOpenAt(parent, name, OpenDirectoryNoFollow, out var created);
        using (created)
        {
            if (errno == 0)
            {
                errno = Sys.TryChangeMode(created, (uint)SubvolumeMode);
            }

            if (errno != 0)
            {
                throw BtrfsException.FromErrno("set the mode of the new subvolume", path, errno);
            }
        }
    }

    public unsafe void SnapshotReadOnly(string source, string destination)
    {
        using var sourceHandle = OpenSubvolume(source, "snapshot");
        var (parentPath, name) = Split(destination);
        using var parent = OpenParent(parentPath, destination);
        RequireBtrfs(parent, parentPath, "take a read-only snapshot at", destination);
        var args = default(Sys.VolumeArgsV2);
        CopyName(name, new Span<byte>(args.Name, Sys.SubvolumeNameMax + 1), destination);
        args.Flags = Sys.SubvolumeReadOnly;
        var added = false;
        sourceHandle.DangerousAddRef(ref added);
        try
        {
            args.Fd = sourceHandle.DangerousGetHandle();
            var errno = Sys.TryIoctl(parent, Sys.SnapshotCreateV2, &args);
            if (errno != 0)
            {
                var hint = errno == Sys.ErrnoCrossDevice ? $"a snapshot must be on the file system of its source '{UntrustedText.Escape(source)}'" : null;
                throw BtrfsException.FromErrno("take a read-only snapshot at", destination, errno, hint);
            }
        }
        finally
        {
            sourceHandle.DangerousRelease();
        }
    }

    public bool IsReadOnly(string path)
    {
        using var handle = OpenSubvolume(path, "read the flags of");
        return (GetFlags(handle, path) & Sys.SubvolumeReadOnly) != 0;
    }

    public unsafe void SetReadOnly(string path, bool readOnly)
    {
        using var handle = OpenSubvolume(path, "set the flags of");
        var flags = GetFlags(handle, path);
        flags = readOnly ? flags | Sys.SubvolumeReadOnly : flags & ~Sys.SubvolumeReadOnly;
        var errno = Sys.TryIoctl(handle, Sys.SubvolumeSetFlags, &flags);
        if (errno != 0)
        {
            throw BtrfsException.FromErrno(readOnly ? "make read-only the subvolume" : "make writable the subvolume", path, errno);
        }
    }

    public unsafe void DeleteSubvolume(string path)
    {
        var (parentPath, name) = Split(path);
        using var parent = OpenParent(parentPath, path);

        // SNAP_DESTROY refuses a plain directory with EINVAL; checking first gives a message that says why.
        var errno = Fd.TryOpenAt(parent, name, OpenDirectoryNoFollow, out var target);
        using (target)
        {
            ThrowIfOpenFailed(errno, "delete the subvolume", path);
            if (!IsSubvolumeRoot(target, path))
            {
                throw NotASubvolume(path);
            }
        }

        var args = default(Sys.VolumeArgs);
        CopyName(name, new Span<byte>(args.Name, Sys.PathNameMax + 1), path);
        errno = Sys.TryIoctl(parent, Sys.SnapshotDestroy, &args);
        if (errno != 0)
        {
            var hint = errno == Sys.ErrnoNotEmpty ? "it contains other subvolumes" : null;
            throw BtrfsException.FromErrno("delete the BTRFS subvolume", path, errno, hint);
        }
    }

    /// <summary>
    /// True when <paramref name="handle"/> is the root directory of a subvolume on BTRFS. Callers that
    /// already hold a directory fd (the staging validator) ask this of the fd, so no path is re-resolved.
    /// </summary>
    internal static bool IsSubvolumeRoot(SafeFileHandle handle, string path)
    {
        if (FileSystemType(handle, path) != Sys.SuperMagic)
        {
            return false;
        }

        var errno = Fd.TryStat(handle, out var stat);
        if (errno != 0)
        {
            throw BtrfsException.FromErrno("inspect", path, errno);
        }

        return (stat.Mode & Foundation.Native.Libc.FileTypeMask) == Foundation.Native.Libc.TypeDirectory && stat.Inode == Sys.SubvolumeRootInode;
    }

    /// <summary>True when <paramref name="handle"/> is a subvolume root whose BTRFS_SUBVOL_RDONLY flag is set.</summary>
    internal static bool IsReadOnlySubvolumeRoot(SafeFileHandle handle, string path) =>
        IsSubvolumeRoot(handle, path) && (GetFlags(handle, path) & Sys.SubvolumeReadOnly) != 0;

    private static unsafe ulong GetFlags(SafeFileHandle handle, string path)
    {
        ulong flags = 0;
        var errno = Sys.TryIoctl(handle, Sys.SubvolumeGetFlags, &flags);
        if (errno != 0)
        {
            throw BtrfsException.FromErrno("read the flags of the subvolume", path, errno);
        }

        return flags;
    }

    private static uint FileSystemType(SafeFileHandle handle, string path)
    {
        var errno = Sys.TryFileSystemType(handle, out var type);
        if (errno != 0)
        {
            throw BtrfsException.FromErrno("inspect the file system of", path, errno);
        }

        return type;
    }

    /// <summary>Opens a subvolume root without following a symlink; anything else is a <see cref="BtrfsException"/>.</summary>
    private static SafeFileHandle OpenSubvolume(string path, string what)
    {
        var errno = Fd.TryOpen(path, OpenDirectoryNoFollow, out var handle);
        try
        {
            ThrowIfOpenFailed(errno, what, path);
            if (!IsSubvolumeRoot(handle, path))
            {
                throw NotASubvolume(path);
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void ThrowIfOpenFailed(int errno, string what, string path)
    {
        switch (errno)
        {
            case 0:
                return;
            case Fd.ErrnoLoop:
            case Fd.ErrnoNotDirectory when IsSymbolicLink(path):
                // O_NOFOLLOW|O_DIRECTORY on a symlink fails with ENOTDIR, not ELOOP.
                throw new BtrfsException(path, $"'{UntrustedText.Escape(path)}' is a symbolic link, not a BTRFS subvolume.", errno);
            case Fd.ErrnoNotDirectory:
                throw new BtrfsException(path, $"'{UntrustedText.Escape(path)}' is not a directory, so not a BTRFS subvolume.", errno);
            default:
                throw BtrfsException.FromErrno(what, path, errno);
        }
    }

    private static bool IsSymbolicLink(string path) =>
        Foundation.Native.Libc.TryStatNoFollow(path, out var stat) == 0 && (stat.Mode & Foundation.Native.Libc.FileTypeMask) == Foundation.Native.Libc.TypeSymlink;

    private static BtrfsException NotASubvolume(string path) =>
        new(path, $"'{UntrustedText.Escape(path)}' is not a BTRFS subvolume.");

    private static SafeFileHandle OpenParent(string parentPath, string path)
    {
        var errno = Fd.TryOpen(parentPath, Fd.OpenReadOnly | Fd.OpenDirectory, out var handle);
        if (errno != 0)
        {
            handle.Dispose();
            throw BtrfsException.FromErrno("open the directory that holds", path, errno);
        }

        return handle;
    }

    /// <summary>Without this, the ioctl on another file system fails with a bare ENOTTY ("Inappropriate ioctl for device").</summary>
    private static void RequireBtrfs(SafeFileHandle parent, string parentPath, string what, string path)
    {
        if (FileSystemType(parent, parentPath) != Sys.SuperMagic)
        {
            throw new BtrfsException(path, $"Cannot {what} '{UntrustedText.Escape(path)}': '{UntrustedText.Escape(parentPath)}' is not on a BTRFS file system.");
        }
    }

    /// <summary>The directory that holds <paramref name="path"/> and the name of its last component ("a/b/" is "a" and "b").</summary>
    private static (string Parent, byte[] Name) Split(string path)
    {
        var trimmed = Path.TrimEndingDirectorySeparator(path);
        var name = Path.GetFileName(trimmed);
        if (name is "" or "." or "..")
        {
            throw new BtrfsException(path, $"'{UntrustedText.Escape(path)}' does not end in a name a subvolume can have.");
        }

        var parent = Path.GetDirectoryName(trimmed);
        return (string.IsNullOrEmpty(parent) ? "." : parent, Encoding.UTF8.GetBytes(name));
    }

    private static void CopyName(byte[] name, Span<byte> field, string path)
    {
        // The field must keep its terminating NUL; the kernel also caps names at 255 bytes (ENAMETOOLONG).
        if (name.Length >= field.Length)
        {
            throw new BtrfsException(path, $"The name of '{UntrustedText.Escape(path)}' is too long for a BTRFS subvolume.");
        }

        name.CopyTo(field);
        field[name.Length] = 0;
    }
}
