using ImageUpdate.Foundation.Errors;
using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Update.Transfers.Partitions;

/// <summary>
/// Turns a partition target's Path= into the disk whose GPT holds the slots, as sysupdate's
/// resource_resolve_path does (sysupdate.d(5) Path=): a whole-disk block device or a disk image file
/// is used as it is; a directory stands for the disk behind the file system it lives on; `auto` is the
/// disk behind /run/systemd/volatile-root when that exists, else behind /usr. The file system's device
/// comes from stat's st_dev, or for file systems with anonymous device numbers (btrfs, major 0) from
/// the mount source in /proc/self/mountinfo; the partition's whole disk from /sys/dev/block/MAJ:MIN,
/// whose `partition` file marks a partition and whose parent directory is the disk. Under --root a block
/// device is refused, as systemd refuses device nodes in --root= mode.
/// </summary>
public sealed class DiskLocator
{
    private readonly string _sysDevBlock;
    private readonly string _mountInfo;
    private readonly string _devDirectory;
    private readonly string _volatileRoot;
    private readonly string _usr;

    /// <summary>The host's locator: /sys, /proc/self/mountinfo, /dev, /run/systemd/volatile-root and /usr.</summary>
    public DiskLocator()
        : this("/sys/dev/block", "/proc/self/mountinfo", "/dev", "/run/systemd/volatile-root", "/usr/")
    {
    }

    /// <summary>A locator over other copies of those places (tests build a fake sysfs tree).</summary>
    public DiskLocator(string sysDevBlock, string mountInfo, string devDirectory, string volatileRoot, string usr)
    {
        _sysDevBlock = sysDevBlock;
        _mountInfo = mountInfo;
        _devDirectory = devDirectory;
        _volatileRoot = volatileRoot;
        _usr = usr;
    }

    public static DiskLocator Host { get; } = new();

    /// <summary>
    /// The disk for <paramref name="path"/> (already joined with the root when there is one);
    /// <paramref name="rooted"/> says whether --root= is in effect.
    /// </summary>
    public string Resolve(string path, bool rooted)
    {
        if (path == Model.Definitions.TargetDefinition.AutoPath)
        {
            if (rooted)
            {
                throw new UpdateException("Block device is not allowed when using --root= mode.");
            }

            return ResolveAuto();
        }

        var errno = Libc.Partitions.TryStat(path, out var st);
        if (errno != 0)
        {
            throw new UpdateException($"Failed to resolve '{UntrustedText.Escape(path)}': {ErrnoText(errno)}");
        }

        var kind = st.Mode & Libc.FileTypeMask;
        if (kind == Libc.TypeBlockDevice && rooted)
        {
            throw new UpdateException($"When using --root= access to device nodes is prohibited, refusing '{UntrustedText.Escape(path)}'.");
        }

        if (kind is Libc.TypeRegular or Libc.TypeBlockDevice)
        {
            return path;
        }

        if (kind != Libc.TypeDirectory)
        {
            throw new UpdateException($"Target path '{UntrustedText.Escape(path)}' does not refer to regular file, directory or block device, refusing.");
        }

        var (major, minor) = FileSystemDevice(path, st);
        var disk = WholeDisk(major, minor, path);
        return disk;
    }

    private string ResolveAuto()
    {
        var errno = Libc.Partitions.TryStat(_volatileRoot, out var st);
        if (errno == 0)
        {
            if ((st.Mode & Libc.FileTypeMask) != Libc.TypeBlockDevice)
            {
                throw new UpdateException($"{_volatileRoot} is not linked to a block device.");
            }

            return WholeDisk(st.DeviceMajorOfNode, st.DeviceMinorOfNode, _volatileRoot);
        }

        if (errno != Libc.ENoEnt)
        {
            throw new UpdateException($"Failed to stat {_volatileRoot}: {ErrnoText(errno)}");
        }

        errno = Libc.Partitions.TryStat(_usr, out st);
        if (errno != 0)
        {
            throw new UpdateException($"Failed to stat {_usr}: {ErrnoText(errno)}");
        }

        var (major, minor) = FileSystemDevice(_usr, st);
        return WholeDisk(major, minor, _usr);
    }

    /// <summary>
    /// The block device a file system is mounted from: st_dev when it names a real device; for an
    /// anonymous device (major 0: btrfs, overlayfs, tmpfs) the source of its mount in mountinfo when that
    /// is a block device node (btrfs's case).
    /// </summary>
    private (uint Major, uint Minor) FileSystemDevice(string path, Libc.StatxBuffer st)
    {
        if (st.DeviceMajor != 0)
        {
            return (st.DeviceMajor, st.DeviceMinor);
        }

        var wanted = $"{st.DeviceMajor}:{st.DeviceMinor}";
        foreach (var line in ReadLines(_mountInfo))
        {
            // mountinfo(5): ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 2 >= fields.Length || fields[2] != wanted)
            {
                continue;
            }

            var source = Unescape(fields[separator + 2]);
            if (source.StartsWith('/') && Libc.Partitions.TryStat(source, out var sourceStat) == 0
                && (sourceStat.Mode & Libc.FileTypeMask) == Libc.TypeBlockDevice)
            {
                return (sourceStat.DeviceMajorOfNode, sourceStat.DeviceMinorOfNode);
            }
        }

        throw new UpdateException($"Failed to determine block device of file system: '{UntrustedText.Escape(path)}' is not backed by a block device.");
    }

    /// <summary>systemd's block_get_whole_disk: a partition's parent in sysfs is its disk; a whole disk is refused.</summary>
    private string WholeDisk(uint major, uint minor, string from)
    {
        var node = Path.Combine(_sysDevBlock, $"{major}:{minor}");
        if (!Directory.Exists(node))
        {
            throw new UpdateException($"Failed to find whole disk device for '{UntrustedText.Escape(from)}': {node} does not exist.");
        }

        if (!File.Exists(Path.Combine(node, "partition")))
        {
            throw new UpdateException($"File system of '{UntrustedText.Escape(from)}' is not placed on a partition block device ({major}:{minor}), cannot determine whole block device.");
        }

        var real = new DirectoryInfo(node).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(node);
        var parent = Path.GetDirectoryName(real.TrimEnd('/'))!;
        var name = DeviceName(parent) ?? Path.GetFileName(parent);
        var device = Path.Combine(_devDirectory, name);
        return device;
    }

    /// <summary>DEVNAME= of the sysfs directory's uevent (it may contain '/', e.g. "mapper/x").</summary>
    private static string? DeviceName(string sysDirectory)
    {
        foreach (var line in ReadLines(Path.Combine(sysDirectory, "uevent")))
        {
            if (line.StartsWith("DEVNAME=", StringComparison.Ordinal))
            {
                return line["DEVNAME=".Length..];
            }
        }

        return null;
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo octal.</summary>
    private static string Unescape(string field)
    {
        var result = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                result.Append((char)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                result.Append(field[i]);
            }
        }

        return result.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';

    private static string ErrnoText(int errno) => System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno);
}
