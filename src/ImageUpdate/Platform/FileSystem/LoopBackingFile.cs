using System.Globalization;
using ImageUpdate.Foundation.Native;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// The regular file behind a loop device, opened so a long write into the device can make that file
/// durable while it runs. A loop device without direct I/O copies each write into its file's page cache
/// and, at a flush (the device's fsync), writes the file back and waits, both in the one kernel worker
/// that serves the device: a flush in the middle of a copy stalls every write queued behind it. An
/// fsync of the file itself does the same write-back and disk flush in the caller's thread instead,
/// beside the worker, as write-back runs beside the writes on a disk. The device's fsync at the end of
/// the copy is still the barrier.
/// </summary>
/// <remarks>
/// The file is found by its path in sysfs (<c>/sys/dev/block/MAJ:MIN/loop/backing_file</c>, the parent's
/// for a partition) and accepted only when, opened, it is the very inode the device reports
/// (LOOP_GET_STATUS64): a path that now names another file, or a deleted one, yields nothing.
/// </remarks>
public static class LoopBackingFile
{
    /// <summary>
    /// The file <paramref name="device"/> (a loop device or a partition of one) writes through the page
    /// cache, opened read-only, with its path; null for anything else: a regular file, another block
    /// device, a loop device with direct I/O (nothing of it waits in the page cache), or a file that
    /// cannot be confirmed.
    /// </summary>
    public static (SafeFileHandle Handle, string Path)? TryOpen(SafeFileHandle device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (Libc.Loop.TryStat(device, out var node) != 0 || (node.Mode & Libc.FileTypeMask) != Libc.TypeBlockDevice)
        {
            return null;
        }

        if (Libc.Loop.TryGetStatus(device, out var fileDevice, out var fileInode, out var flags) != 0 ||
            (flags & Libc.Loop.FlagDirectIo) != 0)
        {
            return null;
        }

        var path = BackingPath(node.DeviceMajorOfNode, node.DeviceMinorOfNode);
        if (path is null || Libc.Staging.TryOpen(path, Libc.Staging.OpenReadOnly | Libc.Staging.OpenNoControllingTty | Libc.Staging.OpenNonBlocking, out var file) != 0)
        {
            return null;
        }

        if (Libc.Loop.TryStat(file, out var stat) == 0 &&
            (stat.Mode & Libc.FileTypeMask) == Libc.TypeRegular &&
            stat.Inode == fileInode &&
            stat.DeviceMajor == Major(fileDevice) && stat.DeviceMinor == Minor(fileDevice))
        {
            return (file, path);
        }

        file.Dispose();
        return null;
    }

    /// <summary>The backing file's path as sysfs names it, or null when the device (or the disk holding the partition) is not a loop device.</summary>
    private static string? BackingPath(uint major, uint minor)
    {
        var node = $"/sys/dev/block/{major.ToString(CultureInfo.InvariantCulture)}:{minor.ToString(CultureInfo.InvariantCulture)}";
        var disk = File.Exists($"{node}/partition") ? $"{node}/.." : node;
        try
        {
            var path = File.ReadAllText($"{disk}/loop/backing_file").TrimEnd('\n');
            return path.Length > 0 && path[0] == '/' ? path : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // dev_t as the kernel encodes it for LOOP_GET_STATUS64 (new_encode_dev).
    private static uint Major(ulong device) => (uint)((device >> 8) & 0xfff);

    private static uint Minor(ulong device) => (uint)((device & 0xff) | ((device >> 12) & 0xfff00));
}
