using Fd = ImageUpdate.Foundation.Native.Libc.Staging;

namespace ImageUpdate.Update.Staging;

/// <summary>
/// What must not change between validation and use: the inode (device and number), the size, and
/// both timestamps, so a file replaced by rename or rewritten in place on a writable directory is seen.
/// </summary>
internal readonly record struct FileIdentity(
    uint DeviceMajor,
    uint DeviceMinor,
    ulong Inode,
    ulong Size,
    long ChangeSeconds,
    uint ChangeNanoseconds,
    long ModificationSeconds,
    uint ModificationNanoseconds)
{
    internal static FileIdentity From(in Fd.Stat stat) => new(
        stat.DeviceMajor,
        stat.DeviceMinor,
        stat.Inode,
        stat.Size,
        stat.ChangeSeconds,
        stat.ChangeNanoseconds,
        stat.ModificationSeconds,
        stat.ModificationNanoseconds);

    internal bool IsSameInode(in Fd.Stat stat) =>
        stat.DeviceMajor == DeviceMajor && stat.DeviceMinor == DeviceMinor && stat.Inode == Inode;
}
