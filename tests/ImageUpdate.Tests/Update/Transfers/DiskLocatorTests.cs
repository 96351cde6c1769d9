using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Update.Transfers.Partitions;
using TempDirectory = ImageUpdate.Tests.Support.TempDirectory;

namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>
/// Path= resolution over a fake sysfs tree (laid out as the kernel lays out /sys/dev/block: MAJ:MIN links
/// to a partition directory with a `partition` file inside its disk's directory, whose uevent names the
/// device) and fake mountinfo, with real stat() of real paths for the device numbers.
/// </summary>
public sealed class DiskLocatorTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Sys => _dir["sys/dev/block"];

    private string MountInfo => _dir["mountinfo"];

    private string Dev => _dir["dev"];

    [Fact]
    public void A_directory_stands_for_the_whole_disk_behind_its_file_system()
    {
        var (major, minor) = DeviceOf(_dir.Path);
        FakePartition(major, minor, "fakedisk0", isPartition: true);
        Assert.Equal(Path.Combine(Dev, "fakedisk0"), Locator().Resolve(_dir.Path, rooted: false));
    }

    [Fact]
    public void A_device_name_with_a_slash_in_uevent_is_kept()
    {
        var (major, minor) = DeviceOf(_dir.Path);
        FakePartition(major, minor, "mapper/disk", isPartition: true);
        Assert.Equal(Path.Combine(Dev, "mapper/disk"), Locator().Resolve(_dir.Path, rooted: false));
    }

    [Fact]
    public void A_file_system_on_a_whole_disk_is_refused()
    {
        var (major, minor) = DeviceOf(_dir.Path);
        FakePartition(major, minor, "fakedisk0", isPartition: false);
        var e = Assert.Throws<UpdateException>(() => Locator().Resolve(_dir.Path, rooted: false));
        Assert.Contains("not placed on a partition block device", e.Message);
    }

    [Fact]
    public void A_file_system_without_a_block_device_is_refused()
    {
        // /proc has an anonymous device number (major 0) and no block device in mountinfo.
        File.WriteAllText(MountInfo, "21 26 0:20 / /proc rw,relatime - proc proc rw\n");
        var e = Assert.Throws<UpdateException>(() => Locator().Resolve("/proc", rooted: false));
        Assert.Contains("not backed by a block device", e.Message);
    }

    [Fact]
    public void An_anonymous_device_is_followed_to_the_block_device_its_mount_names()
    {
        GptTools.RequireRoot("mknod");

        // What btrfs looks like: st_dev 0:N, the mount source a partition node.
        var node = _dir["node with space"];
        Platform.FileSystem.Tool.Run("mknod", node, "b", "7", "200");
        var (major, minor) = DeviceOf("/proc");
        File.WriteAllText(MountInfo, $"99 1 {major}:{minor} / /proc rw - btrfs {node.Replace(" ", "\\040", StringComparison.Ordinal)} rw\n");
        FakePartition(7, 200, "loop7", isPartition: true);
        Assert.Equal(Path.Combine(Dev, "loop7"), Locator().Resolve("/proc", rooted: false));
    }

    [Fact]
    public void Auto_prefers_the_volatile_root_block_device()
    {
        GptTools.RequireRoot("mknod");

        Platform.FileSystem.Tool.Run("mknod", _dir["volatile-root"], "b", "7", "201");
        FakePartition(7, 201, "vdb", isPartition: true);
        Assert.Equal(Path.Combine(Dev, "vdb"), Locator().Resolve("auto", rooted: false));
    }

    [Fact]
    public void Auto_refuses_a_volatile_root_that_is_not_a_block_device()
    {
        File.WriteAllText(_dir["volatile-root"], string.Empty);
        var e = Assert.Throws<UpdateException>(() => Locator().Resolve("auto", rooted: false));
        Assert.Contains("is not linked to a block device", e.Message);
    }

    [Fact]
    public void Auto_without_volatile_root_takes_the_disk_behind_usr()
    {
        var usr = _dir["usr"];
        Directory.CreateDirectory(usr);
        var (major, minor) = DeviceOf(usr);
        FakePartition(major, minor, "sda", isPartition: true);
        Assert.Equal(Path.Combine(Dev, "sda"), Locator(usr: usr).Resolve("auto", rooted: false));
    }

    [Fact]
    public void Auto_is_refused_under_root()
    {
        var e = Assert.Throws<UpdateException>(() => Locator().Resolve("auto", rooted: true));
        Assert.Contains("--root=", e.Message);
    }

    [Fact]
    public void A_block_device_is_refused_under_root_and_used_as_it_is_otherwise()
    {
        GptTools.RequireRoot("mknod");

        var node = _dir["disk"];
        Platform.FileSystem.Tool.Run("mknod", node, "b", "7", "202");
        Assert.Equal(node, Locator().Resolve(node, rooted: false));
        var e = Assert.Throws<UpdateException>(() => Locator().Resolve(node, rooted: true));
        Assert.Contains("device nodes", e.Message);
    }

    [Fact]
    public void A_disk_image_file_is_used_as_it_is_even_under_root()
    {
        var image = _dir["disk.raw"];
        File.WriteAllBytes(image, new byte[4096]);
        Assert.Equal(image, Locator().Resolve(image, rooted: true));
    }

    [Theory]
    [InlineData("/dev/null", "does not refer to regular file, directory or block device")]
    [InlineData("/nonexistent/disk.raw", "Failed to resolve '/nonexistent/disk.raw'")]
    public void Other_paths_are_refused(string path, string message)
    {
        var e = Assert.Throws<UpdateException>(() => Locator().Resolve(path, rooted: false));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void On_this_host_a_directory_resolves_to_a_block_device_or_says_why_not()
    {
        // The real /sys and mountinfo: the answer depends on the machine, but it is one of the two.
        try
        {
            var disk = DiskLocator.Host.Resolve(_dir.Path, rooted: false);
            Assert.Equal(ImageUpdate.Platform.FileSystem.FileKind.BlockDevice, ImageUpdate.Platform.FileSystem.FileMetadata.GetStatus(disk).Kind);
        }
        catch (UpdateException e)
        {
            output.WriteLine(e.Message);
            Assert.Matches("not placed on a partition block device|not backed by a block device", e.Message);
        }
    }

    private DiskLocator Locator(string? usr = null) =>
        new(Sys, MountInfo, Dev, _dir["volatile-root"], usr ?? _dir["no-usr"]);

    /// <summary>sys/dev/block/MAJ:MIN -> ../../devices/DISK[/PART], with `partition` and the disk's uevent.</summary>
    private void FakePartition(uint major, uint minor, string diskName, bool isPartition)
    {
        var disk = _dir[$"sys/devices/{diskName.Replace('/', '_')}"];
        var node = isPartition ? Path.Combine(disk, "part1") : disk;
        Directory.CreateDirectory(node);
        File.WriteAllText(Path.Combine(disk, "uevent"), $"MAJOR=7\nMINOR=0\nDEVNAME={diskName}\nDEVTYPE=disk\n");
        if (isPartition)
        {
            File.WriteAllText(Path.Combine(node, "partition"), "1\n");
        }

        Directory.CreateDirectory(Sys);
        File.CreateSymbolicLink(Path.Combine(Sys, $"{major}:{minor}"), Path.GetRelativePath(Sys, node));
    }

    private static (uint Major, uint Minor) DeviceOf(string path)
    {
        var device = ImageUpdate.Platform.FileSystem.FileMetadata.GetStatus(path).Device;
        return ((uint)(device >> 32), (uint)device);
    }
}
