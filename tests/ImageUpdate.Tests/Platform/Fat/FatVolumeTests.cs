using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Fat;
using ImageUpdate.Tests.Formats.Gpt;

namespace ImageUpdate.Tests.Platform.Fat;

/// <summary>The mtools-backed FAT access against real file systems made by mkfs.vfat, checked with mdir.</summary>
public sealed class FatVolumeTests : IDisposable
{
    private readonly Support.TempDirectory _dir = new("fat");

    public void Dispose() => _dir.Dispose();

    private static void RequireTools() => GptTools.Require("mkfs.vfat", "mdir", "mcopy", "mren", "mdel", "mmd", "mrd", "mdeltree");

    /// <summary>A bare FAT file system at offset 0 of a file, or one inside a GPT disk at 1 MiB.</summary>
    private FatVolume NewVolume(bool inDisk = false, int sectorSize = 512)
    {
        var fat = _dir["fat.img"];
        GptTools.Run("mkfs.vfat", ["-S", sectorSize.ToString(System.Globalization.CultureInfo.InvariantCulture), "-C", fat, "16384"]);
        if (!inDisk)
        {
            return new FatVolume(fat, 0, "the test volume");
        }

        var disk = GptTools.NewImage(_dir.Path, "disk.raw", 40 << 20);
        GptTools.Sfdisk(disk, "label: gpt\nstart=2048, size=32768, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=\"ESP\"\n");
        using (var source = File.OpenRead(fat))
        using (var target = new FileStream(disk, FileMode.Open, FileAccess.Write))
        {
            target.Position = 1 << 20;
            source.CopyTo(target);
        }

        return FatVolume.InImage(disk, ImageUpdate.Formats.Gpt.PartitionType.Esp)!;
    }

    [Theory]
    [InlineData(false, 512)]
    [InlineData(true, 512)]
    [InlineData(false, 4096)]
    public async Task Files_are_copied_renamed_listed_and_deleted(bool inDisk, int sectorSize)
    {
        RequireTools();

        var volume = NewVolume(inDisk, sectorSize);
        Assert.Empty((await volume.ListAsync("/EFI/Linux", CancellationToken.None)));
        await volume.CreateDirectoriesAsync("/EFI/Linux/extra.d", CancellationToken.None);
        await volume.CreateDirectoriesAsync("/EFI/Linux/extra.d", CancellationToken.None);
        File.WriteAllText(_dir["a"], "first");
        await volume.CopyInAsync(_dir["a"], "/EFI/Linux/.#sysupdate.partial.demo_1+3-0.efi", keepModificationTime: false, CancellationToken.None);
        await volume.RenameAsync("/EFI/Linux/.#sysupdate.partial.demo_1+3-0.efi", "/EFI/Linux/demo_1+3-0.efi", CancellationToken.None);
        File.WriteAllText(_dir["b"], "second");
        await volume.CopyInAsync(_dir["b"], "/EFI/Linux/x.efi", keepModificationTime: true, CancellationToken.None);

        // A rename onto an existing name replaces it, as rename(2) would.
        await volume.RenameAsync("/EFI/Linux/x.efi", "/EFI/Linux/demo_1+3-0.efi", CancellationToken.None);
        Assert.Equal(
            [new FatEntry("extra.d", true), new FatEntry("demo_1+3-0.efi", false)],
            (await volume.ListAsync("/EFI/Linux", CancellationToken.None)).OrderByDescending(e => e.IsDirectory).ToList());
        Assert.True(await volume.CopyOutAsync("/EFI/Linux/demo_1+3-0.efi", _dir["out"], CancellationToken.None));
        Assert.False(await volume.CopyOutAsync("/EFI/Linux/missing.efi", _dir["missing"], CancellationToken.None));
        Assert.False(File.Exists(_dir["missing"]));
        Assert.Equal("second", File.ReadAllText(_dir["out"]));

        await volume.DeleteAsync("/EFI/Linux/demo_1+3-0.efi", isDirectory: false, CancellationToken.None);
        await volume.DeleteAsync("/EFI/Linux/demo_1+3-0.efi", isDirectory: false, CancellationToken.None);
        await volume.RemoveDirectoryIfEmptyAsync("/EFI/Linux/extra.d", CancellationToken.None);
        Assert.Empty((await volume.ListAsync("/EFI/Linux", CancellationToken.None)));
        Assert.Equal([new FatEntry("EFI", true), new FatEntry("EFI/Linux", true)], (await volume.ListAsync("/", CancellationToken.None)));
    }

    [Fact]
    public async Task Lower_case_short_names_keep_their_case()
    {
        RequireTools();

        var volume = NewVolume();
        File.WriteAllText(_dir["a"], "x");
        await volume.CopyInAsync(_dir["a"], "/a.efi", keepModificationTime: false, CancellationToken.None);
        Assert.Equal([new FatEntry("a.efi", false)], (await volume.ListAsync("/", CancellationToken.None)));
    }

    [Fact]
    public async Task A_failing_tool_is_one_error_naming_the_volume()
    {
        RequireTools();

        var volume = NewVolume();
        var e = await Assert.ThrowsAsync<UpdateException>(() => volume.RenameAsync("/missing.efi", "/other.efi", CancellationToken.None));
        Assert.Contains("mren", e.Message);
        Assert.Contains("the test volume", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_image_without_the_partition_type_has_no_volume()
    {
        RequireTools();

        var volume = NewVolume(inDisk: true);
        Assert.Null(FatVolume.InImage(volume.ImagePath, ImageUpdate.Formats.Gpt.PartitionType.Xbootldr));
        Assert.Equal(1 << 20, volume.Offset);
        Assert.Contains("ESP (partition 1)", volume.Description);
    }

    [Theory]
    [InlineData("demo_1+3-0.efi", true)]
    [InlineData(".#sysupdate.partial.x", true)]
    [InlineData("a*b", false)]
    [InlineData("a?b", false)]
    [InlineData("a\\b", false)]
    [InlineData("a:b", false)]
    [InlineData("a\nb", false)]
    [InlineData("", false)]
    public void Names_mtools_would_read_as_patterns_are_not_plain(string name, bool plain) =>
        Assert.Equal(plain, FatVolume.IsPlainName(name));

    [Fact]
    public void An_image_path_with_the_offset_separator_is_refused()
    {
        var e = Assert.Throws<UpdateException>(() => new FatVolume("/tmp/a@@b.raw", 0, "x"));
        Assert.Contains("'@@'", e.Message);
    }
}
