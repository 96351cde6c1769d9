using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Formats.Verification.Signing;
using ImageUpdate.Tests.Formats.Verity;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// A product's CI with the real program: `build-image --split DIR` of a verity /usr (erofs, hash,
/// signature), then `publish` of the same DIR with no renaming in between; a malformed repart.d key
/// ends the build with one line naming its file and line.
/// </summary>
public sealed class VerityBuildImageTests(SigningKeys keys) : IClassFixture<SigningKeys>, IDisposable
{
    private readonly TempDirectory _dir = new("verity-build-image");

    public void Dispose() => _dir.Dispose();

    private (string Layout, string Definitions, string Payloads) Product(string usrExtra = "")
    {
        var layout = Directory.CreateDirectory(_dir["repart.d"]).FullName;
        File.WriteAllText(Path.Combine(layout, "00-esp.conf"), "[Partition]\nType=esp\nFormat=vfat\nLabel=ESP\nSizeMinBytes=40M\nSizeMaxBytes=40M\n");
        File.WriteAllText(Path.Combine(layout, "10-usr-a.conf"), $"[Partition]\nType=usr\nLabel=demo_%A\nFormat=erofs\nCopyFiles=/usr:/\nVerity=data\nVerityMatchKey=usr\nMinimize=best\n{usrExtra}");
        File.WriteAllText(Path.Combine(layout, "11-usr-verity-a.conf"), "[Partition]\nType=usr-verity\nLabel=demo_%A\nVerity=hash\nVerityMatchKey=usr\nMinimize=best\n");
        File.WriteAllText(Path.Combine(layout, "12-usr-verity-sig-a.conf"), "[Partition]\nType=usr-verity-sig\nLabel=demo_%A\nVerity=signature\nVerityMatchKey=usr\n");
        var definitions = Directory.CreateDirectory(_dir["transfer.d"]).FullName;
        foreach (var type in new[] { "usr", "usr-verity", "usr-verity-sig" })
        {
            File.WriteAllText(Path.Combine(definitions, $"10-{type}.transfer"),
                $"[Source]\nType=url-file\nPath=https://updates.example.org/demo\nMatchPattern=demo_@v_@u.{type}.raw\n\n[Target]\nType=partition\nPath=auto\nMatchPattern=demo_@v\nMatchPartitionType={type}\n");
        }

        File.WriteAllText(Path.Combine(definitions, "90-uki.transfer"), "[Source]\nType=url-file\nPath=https://updates.example.org/demo\nMatchPattern=demo_@v.efi\n\n[Target]\nType=regular-file\nPath=/EFI/Linux\nPathRelativeTo=boot\nMatchPattern=demo_@v.efi\n");
        var payloads = Directory.CreateDirectory(_dir["out"]).FullName;
        File.WriteAllText(Path.Combine(payloads, "demo_1.efi"), "MZ the UKI of version 1\n");
        Directory.CreateDirectory(_dir["rootfs/usr/lib"]);
        File.WriteAllText(_dir["rootfs/usr/lib/os-release"], "ID=demo\nIMAGE_VERSION=1\n");
        return (layout, definitions, payloads);
    }

    [Fact]
    public async Task Build_image_split_payloads_are_published_as_they_come()
    {
        GptTools.Require("sfdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mmd");
        TestEnvironment.RequireTools("apt-get install erofs-utils", "mkfs.erofs");
        TestEnvironment.RequireFile("/usr/lib/systemd/boot/efi/systemd-bootx64.efi", "apt-get install systemd-boot-efi");
        var product = Product();
        var signer = VerityTestKeys.Create(_dir, "signer");

        var build = await ImageUpdateProcess.RunAsync(
            new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = "1704067200" },
            ["--definitions", product.Definitions, "build-image", product.Layout, "--version", "1", "--payloads", product.Payloads, "--split", product.Payloads,
                "--copy-source", _dir["rootfs"], "--private-key", signer.Key, "--certificate", signer.Certificate, "--output", _dir["disk.raw"]]);
        Assert.True(build.ExitCode == 0, build.ToString());

        var table = GptTools.SfdiskJson(_dir["disk.raw"]);
        Assert.Equal(["ESP", "demo_1", "demo_1", "demo_1"], table.Partitions.Select(p => p.Name));
        var split = Directory.GetFiles(product.Payloads).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "demo_1.efi", $"demo_1_{table.Partitions[1].Uuid:N}.usr.raw", $"demo_1_{table.Partitions[2].Uuid:N}.usr-verity.raw", $"demo_1_{table.Partitions[3].Uuid:N}.usr-verity-sig.raw" }.Order(StringComparer.Ordinal), split);

        File.WriteAllBytes(_dir["secret-key"], keys.Rsa.ExportSecretKey());
        Directory.CreateDirectory(_dir["server"]);
        var publish = await ImageUpdateProcess.RunAsync(null, ["--definitions", product.Definitions, "publish", "--version", "1", "--payloads", product.Payloads, "--output", _dir["server"], "--signing-key", _dir["secret-key"]]);

        Assert.True(publish.ExitCode == 0, publish.ToString());
        var sums = File.ReadAllText(_dir["server/SHA256SUMS"]);
        Assert.All(split, name => Assert.Contains(name!, sums, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_malformed_verity_key_ends_the_build_with_one_line_naming_file_and_line()
    {
        var product = Product("VerityHashBlockSizeBytes=4096\n");

        var build = await ImageUpdateProcess.RunAsync(null, ["--definitions", product.Definitions, "build-image", product.Layout, "--version", "1", "--payloads", product.Payloads, "--output", _dir["disk.raw"]]);

        Assert.Equal(1, build.ExitCode);
        Assert.Equal($"image-update: error: {Path.Combine(product.Layout, "10-usr-a.conf")}:9: VerityHashBlockSizeBytes: applies to the Verity=hash partition only.\n", build.Stderr);
        Assert.False(File.Exists(_dir["disk.raw"]));
    }
}
