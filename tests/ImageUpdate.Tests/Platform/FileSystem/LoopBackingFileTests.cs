using ImageUpdate.Foundation.Native;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Tests.Platform.FileSystem;

/// <summary>
/// The file behind a loop device, found only where it is that very file: real loop devices (losetup)
/// over files of a temporary directory. Needs root; outside CI a non-root run says so and returns.
/// </summary>
public sealed class LoopBackingFileTests : IDisposable
{
    private readonly TempDirectory _temp = new("image-update-loop-");
    private readonly List<string> _loops = [];

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            GptTools.Run("losetup", ["--detach", loop], check: false);
        }

        _temp.Dispose();
    }

    [Fact]
    public void A_loop_device_over_a_file_yields_that_file_opened()
    {
        var (image, loop) = Attach();
        using var device = File.OpenHandle(loop, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        var backing = LoopBackingFile.TryOpen(device);
        Assert.NotNull(backing);
        using (backing.Value.Handle)
        {
            Assert.Equal(image, backing.Value.Path);
            Assert.Equal(Inode(image), Inode(backing.Value.Handle));
            Assert.False(backing.Value.Handle.IsInvalid);
        }
    }

    [Fact]
    public void A_loop_device_with_direct_io_yields_nothing_for_nothing_of_it_waits_in_the_page_cache()
    {
        var (_, loop) = Attach("--direct-io=on");
        Assert.Equal("1", File.ReadAllText($"/sys/block/{Path.GetFileName(loop)}/loop/dio").Trim());
        using var device = File.OpenHandle(loop, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        Assert.Null(LoopBackingFile.TryOpen(device));
    }

    [Fact]
    public void A_path_that_now_names_another_file_yields_nothing()
    {
        var (image, loop) = Attach();
        var other = GptTools.NewImage(_temp.Path, "other.img", 4 << 20);
        File.Move(other, image, overwrite: true); // the loop device still holds the old inode
        using var device = File.OpenHandle(loop, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        Assert.Null(LoopBackingFile.TryOpen(device));
    }

    [Fact]
    public void A_deleted_file_yields_nothing()
    {
        var (image, loop) = Attach();
        File.Delete(image);
        using var device = File.OpenHandle(loop, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        Assert.Null(LoopBackingFile.TryOpen(device));
    }

    [Fact]
    public void A_regular_file_or_a_character_device_yields_nothing()
    {
        GptTools.RequireRoot("loop devices");
        var image = GptTools.NewImage(_temp.Path, "plain.img", 4 << 20);
        using (var file = File.OpenHandle(image, FileMode.Open, FileAccess.ReadWrite))
        {
            Assert.Null(LoopBackingFile.TryOpen(file));
        }

        using var zero = File.OpenHandle("/dev/zero", FileMode.Open, FileAccess.Read);
        Assert.Null(LoopBackingFile.TryOpen(zero));
    }

    private (string Image, string Loop) Attach(params string[] options)
    {
        GptTools.RequireRoot("loop devices");
        GptTools.Require("losetup");
        var image = GptTools.NewImage(_temp.Path, "disk.img", 8 << 20);
        var loop = GptTools.Run("losetup", ["--find", "--show", .. options, image]).Trim();
        _loops.Add(loop);
        return (image, loop);
    }

    private static ulong Inode(string path)
    {
        using var handle = File.OpenHandle(path);
        return Inode(handle);
    }

    private static ulong Inode(SafeFileHandle handle)
    {
        Assert.Equal(0, Libc.Loop.TryStat(handle, out var stat));
        return stat.Inode;
    }
}
