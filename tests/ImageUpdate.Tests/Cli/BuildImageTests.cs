using System.Security.Cryptography;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// `image-update build-image`: the repart.d layout, systemd-boot on the ESP, and the first version
/// installed through the update path (its UKI on the ESP, its root in a slot, the other slots
/// `_empty`); the same inputs and SOURCE_DATE_EPOCH give the same bytes.
/// </summary>
public sealed class BuildImageTests : IDisposable
{
    private const string SystemdBoot = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";
    private readonly Support.TempDirectory _dir = new("build-image");

    public void Dispose() => _dir.Dispose();

    private static void RequireTools()
    {
        GptTools.Require("sfdisk", "sgdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mmd");
        TestEnvironment.RequireFile(SystemdBoot, "apt-get install systemd-boot-efi");
    }

    /// <summary>A demo-like product: an ESP, three root slots, a root partition and a boot-counted UKI per version.</summary>
    private (string Layout, string Definitions, string Payloads) Product()
    {
        var layout = Directory.CreateDirectory(_dir["repart.d"]).FullName;
        File.WriteAllText(Path.Combine(layout, "00-esp.conf"), "[Partition]\nType=esp\nFormat=vfat\nLabel=ESP\nSizeMinBytes=40M\nSizeMaxBytes=40M\n");
        foreach (var slot in new[] { "a", "b", "c" })
        {
            File.WriteAllText(Path.Combine(layout, $"10-root-{slot}.conf"), "[Partition]\nType=root\nLabel=_empty\nSizeMinBytes=8M\nSizeMaxBytes=8M\n");
        }

        var definitions = Directory.CreateDirectory(_dir["transfer.d"]).FullName;
        File.WriteAllText(Path.Combine(definitions, "10-root.transfer"), "[Transfer]\nProtectVersion=%A\n\n[Source]\nType=url-file\nPath=https://updates.example.org/demo\nMatchPattern=demo_@v.root.raw\n\n[Target]\nType=partition\nPath=auto\nMatchPattern=demo_@v\nMatchPartitionType=root\nReadOnly=yes\n");
        File.WriteAllText(Path.Combine(definitions, "90-uki.transfer"), "[Source]\nType=url-file\nPath=https://updates.example.org/demo\nMatchPattern=demo_@v.efi\n\n[Target]\nType=regular-file\nPath=/EFI/Linux\nPathRelativeTo=boot\nMatchPattern=demo_@v+@l-@d.efi demo_@v+@l.efi demo_@v.efi\nTriesLeft=3\nTriesDone=0\n");

        var payloads = Directory.CreateDirectory(_dir["payloads"]).FullName;
        File.WriteAllBytes(Path.Combine(payloads, "demo_1.root.raw"), RandomNumberGenerator.GetBytes(3 << 20));
        File.WriteAllText(Path.Combine(payloads, "demo_1.efi"), "MZ the UKI of version 1\n");
        return (layout, definitions, payloads);
    }

    private static Task<RunResult> BuildAsync((string Layout, string Definitions, string Payloads) product, string output, string epoch = "1704067200", params string[] extra) =>
        ImageUpdateProcess.RunAsync(
            new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = epoch },
            ["--definitions", product.Definitions, "build-image", product.Layout, "--version", "1", "--payloads", product.Payloads, "--output", output, .. extra]);

    [Fact]
    public async Task The_image_has_the_layout_systemd_boot_and_version_1_installed_through_the_update_path()
    {
        RequireTools();

        var product = Product();
        var disk = _dir["disk.raw"];
        var build = await BuildAsync(product, disk);
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains($"Built {disk} with version 1.", build.Stdout);

        GptAssert.SgdiskFindsNoProblems(disk);
        var table = GptTools.SfdiskJson(disk);
        Assert.Equal(["ESP", "demo_1", "_empty", "_empty"], table.Partitions.Select(p => p.Name).ToList());
        Assert.All(table.Partitions.Skip(1), p => Assert.Equal(new Guid("4f68bce3-e8cd-4db1-96e7-fbcaf984b709"), p.Type));

        var esp = $"{disk}@@{table.Partitions[0].Start * 512}";
        var files = GptTools.Run("mdir", ["-i", esp, "-/", "-b", "::/"]);
        foreach (var expected in new[] { "::/EFI/BOOT/BOOTX64.EFI", "::/EFI/systemd/systemd-bootx64.efi", "::/loader/loader.conf", "::/EFI/Linux/demo_1+3-0.efi" })
        {
            Assert.Contains(expected, files);
        }

        Assert.DoesNotContain("sysupdate", files);
        Assert.Contains("timeout 0", GptTools.Run("mtype", ["-i", esp, "::/loader/loader.conf"]));

        // The root slot holds the payload byte for byte.
        var slot = table.Partitions[1];
        var root = await File.ReadAllBytesAsync(Path.Combine(product.Payloads, "demo_1.root.raw"));
        var written = new byte[root.Length];
        await using (var image = File.OpenRead(disk))
        {
            image.Position = (long)slot.Start * 512;
            image.ReadExactly(written);
        }

        Assert.Equal(root, written);

        // What the image holds is what an ordinary `list` of it shows.
        var list = await ImageUpdateProcess.RunAsync(null, "--image", disk, "--definitions", product.Definitions, "--offline", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"● 1\s+✓\s+current", list.Stdout);
    }

    [Fact]
    public async Task Building_twice_gives_the_same_bytes_and_another_epoch_other_bytes()
    {
        RequireTools();

        var product = Product();
        var first = await BuildAsync(product, _dir["first.raw"]);
        Assert.True(first.ExitCode == 0, first.ToString());

        // FAT keeps two-second times: a later build must land in another window to prove anything;
        // and the payloads' own times must not matter, only their bytes.
        await Task.Delay(2100);
        foreach (var payload in Directory.GetFiles(product.Payloads))
        {
            File.SetLastWriteTimeUtc(payload, DateTime.UtcNow);
        }

        var second = await BuildAsync(product, _dir["second.raw"]);
        Assert.True(second.ExitCode == 0, second.ToString());
        var other = await BuildAsync(product, _dir["other.raw"], epoch: "1714067200");
        Assert.True(other.ExitCode == 0, other.ToString());

        var hash = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(_dir["first.raw"])));
        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(_dir["second.raw"]))));
        Assert.NotEqual(hash, Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(_dir["other.raw"]))));
    }

    [Fact]
    public async Task What_a_killed_build_left_is_removed_by_the_next_one()
    {
        RequireTools();

        var product = Product();
        var disk = _dir["disk.raw"];
        File.WriteAllText(_dir[".#disk.raw.building"], "left by a killed build");
        File.WriteAllText(_dir["..#disk.raw.building.partial-0123"], "left by a killed build");

        var build = await BuildAsync(product, disk);

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Equal(["disk.raw"], Directory.GetFiles(_dir.Path, "*disk.raw*").Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_4096_byte_sector_image_has_its_table_at_4096()
    {
        RequireTools();

        var product = Product();
        var disk = _dir["disk4k.raw"];
        var build = await BuildAsync(product, disk, extra: ["--sector-size", "4096"]);
        Assert.True(build.ExitCode == 0, build.ToString());
        var table = ImageUpdate.Formats.Gpt.GptDisk.ReadTable(disk);
        Assert.Equal(4096, table.SectorSize);
        Assert.Equal("demo_1", table.Entries[1].Name);
    }

    [Theory]
    [InlineData("--version", "2", "'2'")]
    [InlineData("--sector-size", "1024", "1024")]
    [InlineData("--seed", "not-a-uuid", "--seed must be a UUID")]
    [InlineData("--size", "12Q", "--size must be a number of bytes")]
    public async Task Bad_input_is_one_line_and_leaves_no_image(string option, string value, string message)
    {
        RequireTools();

        var product = Product();
        var disk = _dir["bad.raw"];
        var arguments = new List<string> { "--definitions", product.Definitions, "build-image", product.Layout, "--version", "1", "--payloads", product.Payloads, "--output", disk };
        var at = arguments.IndexOf(option);
        if (at >= 0)
        {
            arguments[at + 1] = value;
        }
        else
        {
            arguments.AddRange([option, value]);
        }

        var result = await ImageUpdateProcess.RunAsync(null, [.. arguments]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'), l => l.StartsWith("image-update: error:", StringComparison.Ordinal));
        Assert.False(File.Exists(disk));
        Assert.Empty(Directory.GetFiles(_dir.Path, ".#*"));
    }
}
