using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// Reads and sets the metadata of a directory entry without following it when it is a symlink:
/// .NET's File.SetUnixFileMode and SetLastWriteTime act on a symlink's target, which an updater
/// writing into a tree of untrusted content must never do.
/// </summary>
public static class FileMetadata
{
    private const uint PermissionBits = 0xFFF; // 07777: rwx for all three plus setuid, setgid, sticky

    /// <summary>lstat of <paramref name="path"/>; null when nothing is there.</summary>
    public static FileStatus? TryGetStatus(string path)
    {
        var errno = Libc.TryStatNoFollow(path, out var buffer);
        if (errno == Libc.ENoEnt || errno == Libc.ENotDir)
        {
            return null;
        }

        if (errno != 0)
        {
            throw Libc.Error(errno, "Cannot stat", path);
        }

        return new FileStatus(
            KindOf(buffer.Mode),
            (UnixFileMode)(buffer.Mode & PermissionBits),
            buffer.Uid,
            buffer.Gid,
            (long)buffer.Size,
            buffer.ModificationSeconds * 1_000_000 + buffer.ModificationNanoseconds / 1000,
            ((ulong)buffer.DeviceMajor << 32) | buffer.DeviceMinor,
            buffer.Inode,
            buffer.NumberOfLinks,
            buffer.DeviceMajorOfNode,
            buffer.DeviceMinorOfNode);
    }

    /// <summary>lstat of <paramref name="path"/>; throws <see cref="FileNotFoundException"/> when nothing is there.</summary>
    public static FileStatus GetStatus(string path) =>
        TryGetStatus(path) ?? throw new FileNotFoundException($"No such file or directory '{Foundation.Errors.UntrustedText.Escape(path)}'.", path);

    /// <summary>Sets all twelve mode bits (setuid, setgid and sticky included); a symlink is refused (Linux symlinks have no mode).</summary>
    public static void SetMode(string path, UnixFileMode mode) => Libc.ChangeModeNoFollow(path, (uint)mode & PermissionBits);

    /// <summary>Sets the modification time, in microseconds since the epoch (usec_t), of the entry itself; the access time is left alone.</summary>
    public static void SetModificationTime(string path, long microseconds)
    {
        var seconds = Math.DivRem(microseconds, 1_000_000, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += 1_000_000;
        }

        Libc.SetModificationTimeNoFollow(path, seconds, remainder * 1000);
    }

    /// <summary>lchown: sets the numeric owner and group of the entry itself. Needs root for anything but one's own groups.</summary>
    public static void SetOwner(string path, uint uid, uint gid) => Libc.ChangeOwner(path, uid, gid);

    /// <summary>
    /// Sets chattr +i on a directory or regular file (never following a link). False when the file
    /// system has no inode flags or the caller lacks CAP_LINUX_IMMUTABLE.
    /// </summary>
    public static bool TrySetImmutable(string path)
    {
        if (TryGetStatus(path) is not { Kind: FileKind.Regular or FileKind.Directory })
        {
            return false;
        }

        using var handle = Libc.Open(path, Libc.OReadOnly | Libc.ONoFollow | Libc.ONonBlocking | Libc.ONoControllingTerminal);
        return Libc.TryGetInodeFlags(handle, out var flags) == 0 && Libc.TrySetInodeFlags(handle, flags | Libc.FlagImmutable) == 0;
    }

    /// <summary>Microseconds since the epoch for a point in time, truncated toward the past.</summary>
    public static long ToMicroseconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    private static FileKind KindOf(uint mode) => (mode & Libc.FileTypeMask) switch
    {
        Libc.TypeRegular => FileKind.Regular,
        Libc.TypeDirectory => FileKind.Directory,
        Libc.TypeSymlink => FileKind.SymbolicLink,
        Libc.TypeCharacterDevice => FileKind.CharacterDevice,
        Libc.TypeBlockDevice => FileKind.BlockDevice,
        Libc.TypeFifo => FileKind.Fifo,
        Libc.TypeSocket => FileKind.Socket,
        _ => FileKind.Unknown,
    };
}
