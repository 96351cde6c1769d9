using System.Security.Cryptography;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Systemd.Health;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Imaging;

namespace ImageUpdate.Tests.Update.Imaging;

/// <summary>
/// <see cref="ImageBuild"/> in process: the build's temporary name, its lock's leftovers, the final
/// rename and SOURCE_DATE_EPOCH, on a small product in a plain temporary directory.
/// </summary>
public sealed class ImageBuildTests : IDisposable
{
    private const string SystemdBoot = DiskImageOptions.DefaultSystemdBootPath;
    private readonly Support.TempDirectory _dir = new("image-build");
    private readonly RecordingLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private static void RequireTools()
    {
        GptTools.Require("sfdisk", "sgdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mmd");
        Support.TestEnvironment.RequireFile(SystemdBoot, "apt-get install systemd-boot-efi");
    }

    /// <summary>An ESP and two root slots; a root partition and a UKI for version 1.</summary>
    private ImageBuildOptions Product(string outputName, string? epoch = "1704067200")
    {
        var layout = Directory.CreateDirectory(_dir["repart.d"]).FullName;
        File.WriteAllText(Path.Combine(layout, "00-esp.conf"), "[Partition]\nType=esp\nFormat=vfat\nLabel=ESP\nSizeMinBytes=40M\nSizeMaxBytes=40M\n");
        foreach (var slot in new[] { "a", "b" })
        {
            File.WriteAllText(Path.Combine(layout, $"10-root-{slot}.conf"), "[Partition]\nType=root\nLabel=_empty\nSizeMinBytes=4M\nSizeMaxBytes=4M\n");
        }

        var definitions = Directory.CreateDirectory(_dir["transfer.d"]).FullName;
        File.WriteAllText(Path.Combine(definitions, "10-root.transfer"), "[Source]\nType=url-file\nPath=https://updates.example.org/demo\nMatchPattern=demo_@v.root.raw\n\n[Target]\nType=partition\nPath=auto\nMatchPattern=demo_@v\nMatchPartitionType=root\n");
        File.WriteAllText(Path.Combine(definitions, "90-uki.transfer"), "[Source]\nType=url-file\nPath=https://updates.example.org/demo\nMatchPattern=demo_@v.efi\n\n[Target]\nType=regular-file\nPath=/EFI/Linux\nPathRelativeTo=boot\nMatchPattern=demo_@v.efi\n");

        var payloads = Directory.CreateDirectory(_dir["payloads"]).FullName;
        File.WriteAllBytes(Path.Combine(payloads, "demo_1.root.raw"), RandomNumberGenerator.GetBytes(1 << 20));
        File.WriteAllText(Path.Combine(payloads, "demo_1.efi"), "MZ the UKI of version 1\n");
        return new ImageBuildOptions
        {
            Engine = new EngineOptions { DefinitionsDirectory = definitions },
            LayoutDirectory = layout,
            Version = "1",
            PayloadsDirectory = payloads,
            Output = _dir[outputName],
            SourceDateEpoch = epoch,
        };
    }

    private string[] DiskFiles() => Directory.GetFiles(_dir.Path, "*disk.raw*").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task The_image_appears_under_its_name_only_when_whole_and_what_a_killed_build_left_is_gone()
    {
        RequireTools();

        var options = Product("disk.raw");
        File.WriteAllText(ImageBuild.BuildingName(options.Output), "left by a killed build");
        File.WriteAllText(_dir["..#disk.raw.building.partial-0123"], "left by a killed build");

        var built = await ImageBuild.RunAsync(options, _log, observer: null, CancellationToken.None);

        Assert.Equal(options.Output, built);
        Assert.Equal(["disk.raw"], DiskFiles());
        var table = GptDisk(built);
        Assert.Equal(["ESP", "demo_1", "_empty"], table.Entries.Where(e => e.IsUsed).Select(e => e.Name));
    }

    [Theory]
    [InlineData("315532799")]
    [InlineData("4294967296")]
    [InlineData("yesterday")]
    public async Task A_source_date_epoch_fat_cannot_store_leaves_no_image_and_no_temporary(string epoch)
    {
        var options = Product("disk.raw", epoch);

        var e = await Assert.ThrowsAsync<DiskImageException>(() => ImageBuild.RunAsync(options, _log, observer: null, CancellationToken.None));

        Assert.Equal($"SOURCE_DATE_EPOCH '{epoch}' is not a number of seconds since 1970 from 1980 on, which FAT timestamps need.", e.Message);
        Assert.Empty(DiskFiles());
    }

    [Fact]
    public async Task With_a_secure_boot_key_systemd_boot_is_signed_and_sbverify_accepts_it()
    {
        RequireTools();
        Support.TestEnvironment.RequireTools("apt-get install sbsigntool", "sbsign", "sbverify");
        const string ProtectedKey = "/usr/share/ovmf/PkKek-1-snakeoil.key";
        const string Certificate = "/usr/share/ovmf/PkKek-1-snakeoil.pem";
        Support.TestEnvironment.RequireFile(ProtectedKey, "apt-get install ovmf");

        // Debian's snakeoil key is protected by the passphrase "snakeoil" (ovmf's README.Debian); sbsign cannot be given one.
        var key = _dir["db.key"];
        Support.TestProcess.RunChecked("openssl", ["pkey", "-in", ProtectedKey, "-passin", "pass:snakeoil", "-out", key]);
        var options = Product("disk.raw") with { SecureBootKey = key, SecureBootCertificate = Certificate };

        var built = await ImageBuild.RunAsync(options, _log, observer: null, CancellationToken.None);

        var esp = GptDisk(built).Entries.First(e => e.IsUsed);
        foreach (var (path, name) in new[] { ("::/EFI/BOOT/BOOTX64.EFI", "bootx64.efi"), ("::/EFI/systemd/systemd-bootx64.efi", "systemd-bootx64.efi") })
        {
            ImageTools.Mtools("mcopy", "-i", ImageTools.Drive(built, esp.StartingLba * 512), path, _dir[name]);
            var verify = Support.TestProcess.Run("sbverify", ["--cert", Certificate, _dir[name]]);
            Assert.True(verify.ExitCode == 0, verify.ToString());
        }

        var unsigned = Support.TestProcess.Run("sbverify", ["--cert", Certificate, SystemdBoot]);
        Assert.NotEqual(0, unsigned.ExitCode);
    }

    [Fact]
    public void Without_a_seed_the_same_version_gets_the_same_uuid_v4()
    {
        var seed = ImageBuild.SeedFor("1");

        Assert.Equal(seed, ImageBuild.SeedFor("1"));
        Assert.NotEqual(seed, ImageBuild.SeedFor("2"));
        Assert.Equal(4, seed.Version);
        Assert.Equal('4', seed.ToString()[14]);
    }

    private static ImageUpdate.Formats.Gpt.PartitionTable GptDisk(string path) => ImageUpdate.Formats.Gpt.GptDisk.ReadTable(path);
}
