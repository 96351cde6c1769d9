using System.Buffers.Binary;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Platform.Processes;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Imaging;

namespace ImageUpdate.Tests.Update.Imaging;

/// <summary>
/// Whole images: the GPT checked by sgdisk and sfdisk, the ESP by fsck.fat and mtools, empty slots
/// zero, and the bytes reproducible. Needs mkfs.vfat, mtools, sgdisk, sfdisk and systemd-boot-efi;
/// outside CI a missing one is reported and the test returns.
/// </summary>
public sealed class DiskImageBuilderTests : IDisposable
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    public async Task The_demo_image_has_a_clean_gpt_the_planned_layout_and_systemd_boot_in_its_esp(int sectorSize)
    {
        RequireTools();

        var layout = Plan(RepartLayouts.Demo, sectorSize);
        var image = await BuildAsync(layout, "demo.raw");

        if (!CheckTable(image, layout))
        {
            return;
        }

        Assert.Equal((long)layout.SizeInBytes, new FileInfo(image).Length);

        // Sparse: the empty root slots and the ESP's free space are holes (stat counts 512-byte blocks).
        var allocated = ulong.Parse(GptTools.Run("stat", ["-c", "%b", image]).Trim(), System.Globalization.CultureInfo.InvariantCulture) * 512;
        Assert.True(allocated < layout.SizeInBytes / 8, $"{allocated} of {layout.SizeInBytes} bytes are allocated.");

        var esp = layout.Partitions[0];
        Assert.Equal(PartitionType.Esp, esp.Type);
        var drive = ImageTools.Drive(image, esp.Offset);
        Assert.Contains("BOOTX64  EFI", ImageTools.Mtools("mdir", "-i", drive, "::/EFI/BOOT"), StringComparison.Ordinal);
        Assert.Contains("systemd-bootx64.efi", ImageTools.Mtools("mdir", "-i", drive, "::/EFI/systemd"), StringComparison.Ordinal);
        Assert.Contains("Directory for ::/EFI/Linux", ImageTools.Mtools("mdir", "-i", drive, "::/EFI/Linux"), StringComparison.Ordinal);
        Assert.Equal(DiskImageOptions.DefaultLoaderConf, ImageTools.Mtools("mtype", "-i", drive, "::/loader/loader.conf"));
        Assert.Contains("Volume in drive : is ESP", ImageTools.Mtools("mdir", "-i", drive, "::/"), StringComparison.Ordinal);

        var copied = Path.Combine(_temp.Path, "BOOTX64.EFI");
        ImageTools.Mtools("mcopy", "-i", drive, "::/EFI/BOOT/BOOTX64.EFI", copied);
        Assert.Equal(File.ReadAllBytes(DiskImageOptions.DefaultSystemdBootPath), File.ReadAllBytes(copied));

        ImageTools.AssertFatIsClean(ImageTools.Extract(image, esp.Offset, esp.Size, Path.Combine(_temp.Path, "esp.fat")));

        // The root slots are left for the update path: every byte zero.
        Assert.All(layout.Partitions.Skip(1), p => Assert.True(ImageTools.RangeIsZero(image, p.Offset, p.Size), $"Partition {p.Number} is not all zeros."));
    }

    [Fact]
    public async Task The_same_layout_and_epoch_give_the_same_bytes_and_another_epoch_does_not()
    {
        RequireTools();

        var layout = Plan(RepartLayouts.Demo, 512);
        var first = await BuildAsync(layout, "first.raw");
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        var second = await BuildAsync(layout, "second.raw");
        var later = await BuildAsync(layout, "later.raw", new DiskImageOptions { SourceDateEpoch = Epoch.AddDays(1) });

        Assert.Equal(ImageTools.Sha256(first), ImageTools.Sha256(second));
        Assert.NotEqual(ImageTools.Sha256(first), ImageTools.Sha256(later));
        Assert.Contains("2023-11-14", ImageTools.Mtools("mdir", "-i", ImageTools.Drive(first, layout.Partitions[0].Offset), "::/EFI/BOOT"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    public async Task Outside_the_esp_the_image_is_byte_for_byte_what_systemd_repart_writes_and_the_esp_has_its_volume_id(int sectorSize)
    {
        RequireTools();
        RepartOracle.Require();

        // Protective MBR, both GPT headers and entry arrays, and the zeroed root slots: all equal. Only the
        // ESP differs: ours carries systemd-boot, and repart runs mkfs.vfat without --invariant.
        var definitions = RepartOracle.WriteDefinitions(_temp.Path, RepartLayouts.Files(RepartLayouts.Demo));
        var repartImage = Path.Combine(_temp.Path, "repart.raw");
        var layout = DiskLayoutPlanner.Plan(RepartDefinitions.Load(definitions), RepartLayouts.Seed, sectorSize, sectorSize == 512 ? null : 600UL << 20);
        if (sectorSize == 512)
        {
            RepartOracle.CreateImage(definitions, RepartLayouts.Seed, null, repartImage);
        }
        else
        {
            RepartOracle.CreateOn4096Loop(definitions, RepartLayouts.Seed, layout.SizeInBytes, repartImage);
        }

        var ours = await BuildAsync(layout, "ours.raw");

        var esp = layout.Partitions[0];
        ImageTools.AssertSameOutside(repartImage, ours, esp.Offset, esp.End);

        // The volume id, BS_VolID: byte 67 of a FAT32 boot sector (repart always makes FAT32; ours is
        // FAT32 at 512-byte sectors, FAT16 at 4096, where it sits at byte 39).
        var theirs = BinaryPrimitives.ReadUInt32LittleEndian(ImageTools.ReadBytes(repartImage, esp.Offset + 67, 4));
        var mine = BinaryPrimitives.ReadUInt32LittleEndian(ImageTools.ReadBytes(ours, esp.Offset + (sectorSize == 512 ? 67UL : 39UL), 4));
        Assert.Equal(theirs, mine);
    }

    [Theory]
    [InlineData(512, 16, false)]
    [InlineData(512, 32, false)]
    [InlineData(512, 40, true)]
    [InlineData(4096, 64, false)]
    [InlineData(4096, 300, true)]
    public async Task An_esp_is_fat32_only_when_it_has_the_clusters_fat32_needs(int sectorSize, int megabytes, bool fat32)
    {
        RequireTools();

        var directory = RepartOracle.WriteDefinitions(_temp.Path, new Dictionary<string, string>
        {
            ["esp.conf"] = $"[Partition]\nType=esp\nLabel=boot.efi\nSizeMinBytes={megabytes}M\nSizeMaxBytes={megabytes}M\nFormat=vfat\n",
        });
        var layout = DiskLayoutPlanner.Plan(RepartDefinitions.Load(directory), RepartLayouts.Seed, sectorSize);
        var image = await BuildAsync(layout, "small.raw");

        var esp = layout.Partitions[0];
        var fat = ImageTools.Extract(image, esp.Offset, esp.Size, Path.Combine(_temp.Path, "esp.fat"));
        ImageTools.AssertFatIsClean(fat);
        var (_, report, _) = GptTools.RunRaw("fsck.fat", ["-n", "-v", fat]);
        Assert.Equal(fat32, report.Contains("32 bit entries", StringComparison.Ordinal));
        Assert.Contains($"{sectorSize} bytes per logical sector", report, StringComparison.Ordinal);
        Assert.Contains("Volume in drive : is BOOT_EFI", ImageTools.Mtools("mdir", "-i", ImageTools.Drive(image, esp.Offset), "::/"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("315532800", 315532800L)]
    [InlineData("1700000000", 1700000000L)]
    [InlineData("4294967295", 4294967295L)]
    public void Source_date_epoch_is_read_as_seconds_since_1970(string? value, long? expected)
    {
        Assert.Equal(expected, DiskImageOptions.ParseSourceDateEpoch(value)?.ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData("315532799")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData(" 1700000000")]
    [InlineData("yesterday")]
    [InlineData("4294967296")]
    public void A_source_date_epoch_fat_cannot_store_is_refused(string value)
    {
        var e = Assert.Throws<DiskImageException>(() => DiskImageOptions.ParseSourceDateEpoch(value));

        Assert.Contains($"SOURCE_DATE_EPOCH '{value}' is not a number of seconds", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_in_a_missing_directory_is_refused_before_anything_is_written()
    {
        var layout = Plan(RepartLayouts.Demo, 512);

        var e = await Assert.ThrowsAsync<DiskImageException>(() => new DiskImageBuilder(new ProcessRunner()).BuildAsync(
            layout, new DiskImageOptions { InstallSystemdBoot = false }, Path.Combine(_temp.Path, "missing", "disk.raw")));

        Assert.Contains("missing' for the disk image does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_layout_without_an_esp_cannot_have_systemd_boot_installed()
    {
        var directory = RepartOracle.WriteDefinitions(_temp.Path, new Dictionary<string, string> { ["root.conf"] = "[Partition]\nType=root\n" });
        var layout = DiskLayoutPlanner.Plan(RepartDefinitions.Load(directory), RepartLayouts.Seed);
        var output = Path.Combine(_temp.Path, "none.raw");

        var e = await Assert.ThrowsAsync<DiskImageException>(() => new DiskImageBuilder(new ProcessRunner()).BuildAsync(layout, new DiskImageOptions(), output));

        Assert.Contains("no ESP partition with Format=vfat", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Without_systemd_boot_a_layout_without_filesystems_is_only_a_gpt()
    {
        GptTools.Require("sgdisk", "sfdisk");

        var directory = RepartOracle.WriteDefinitions(_temp.Path, new Dictionary<string, string> { ["root.conf"] = "[Partition]\nType=root\nLabel=_empty\n" });
        var layout = DiskLayoutPlanner.Plan(RepartDefinitions.Load(directory), RepartLayouts.Seed);
        var image = await BuildAsync(layout, "gpt-only.raw", new DiskImageOptions { InstallSystemdBoot = false });

        Assert.True(CheckTable(image, layout));
        Assert.True(ImageTools.RangeIsZero(image, layout.Partitions[0].Offset, layout.Partitions[0].Size));
    }

    /// <summary>
    /// sgdisk -v finds no problem and sfdisk reads the planned table. sfdisk and sgdisk take an image
    /// file for 512-byte sectors; for 4096 they need a loop device with that sector size (root).
    /// </summary>
    private bool CheckTable(string image, DiskLayout layout)
    {
        if (layout.SectorSize == 512)
        {
            Assert.Contains("No problems found", GptTools.SgdiskVerify(image), StringComparison.Ordinal);
            RepartOracle.AssertSame(GptTools.SfdiskJson(image), layout);
            return true;
        }

        GptTools.RequireRoot("4096-byte sectors");
        GptTools.Require("losetup");

        var loop = GptTools.Run("losetup", ["--find", "--show", "--read-only", "--sector-size", layout.SectorSize.ToString(System.Globalization.CultureInfo.InvariantCulture), image]).Trim();
        try
        {
            Assert.Contains("No problems found", GptTools.SgdiskVerify(loop), StringComparison.Ordinal);
            RepartOracle.AssertSame(GptTools.SfdiskJson(loop), layout);
            return true;
        }
        finally
        {
            GptTools.Run("losetup", ["--detach", loop], check: false);
        }
    }

    private static DiskLayout Plan(string name, int sectorSize)
    {
        var directory = Path.Combine(Path.GetTempPath(), "imageupdate-imaging-defs-" + Guid.NewGuid().ToString("N"));
        try
        {
            return DiskLayoutPlanner.Plan(RepartDefinitions.Load(RepartOracle.WriteDefinitions(directory, RepartLayouts.Files(name))), RepartLayouts.Seed, sectorSize);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<string> BuildAsync(DiskLayout layout, string name, DiskImageOptions? options = null)
    {
        var path = Path.Combine(_temp.Path, name);
        var built = await new DiskImageBuilder(new ProcessRunner()).BuildAsync(layout, options ?? new DiskImageOptions { SourceDateEpoch = Epoch }, path);
        Assert.Equal(path, built.Path);
        return path;
    }

    private static void RequireTools()
    {
        GptTools.Require("mkfs.vfat", "fsck.fat", "mmd", "mcopy", "mdir", "mtype", "sgdisk", "sfdisk");
        RequireFile(DiskImageOptions.DefaultSystemdBootPath);
    }

    private static void RequireFile(string path) => TestEnvironment.RequireFile(path, "apt-get install systemd-boot-efi");
}
