namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// What lstat says about one directory entry (the entry itself, never a symlink's target).
/// <see cref="Device"/> and <see cref="Inode"/> together identify the inode, for hard links.
/// </summary>
public sealed record FileStatus(
    FileKind Kind,
    UnixFileMode Mode,
    uint Uid,
    uint Gid,
    long Size,
    long ModificationTimeMicroseconds,
    ulong Device,
    ulong Inode,
    uint LinkCount,
    uint NodeMajor,
    uint NodeMinor);
