using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Verity;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Formats.Verity;
using ImageUpdate.Tests.Support;
using ImageUpdate.Tests.Systemd.Health;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Imaging;

namespace ImageUpdate.Tests.Update.Imaging;

/// <summary>
/// build-image of a verity product in process: a /usr as erofs or squashfs from CopyFiles=, its
/// dm-verity hash partition and signature partition (slot A filled, slot B empty), a UKI through
/// the transfers; checked with veritysetup verify, openssl cms -verify, the GPT and the split payloads.
/// </summary>
public sealed class VerityImageBuildTests : IDisposable
{
    private const string SystemdBoot = DiskImageOptions.DefaultSystemdBootPath;
    private static readonly Guid Seed = new("750b6cd5-c4ae-4012-a15e-7be3c29e6a47");
    private readonly TempDirectory _dir = new("verity-build");
    private readonly RecordingLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private static void RequireTools(string mkfs)
    {
        GptTools.Require("sfdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mmd");
        TestEnvironment.RequireTools("apt-get install erofs-utils squashfs-tools cryptsetup-bin openssl", mkfs, "veritysetup", "openssl");
        TestEnvironment.RequireFile(SystemdBoot, "apt-get install systemd-boot-efi");
    }

    /// <summary>repart.d and transfer.d of a product whose /usr is a verity triple, as ParticleOS lays it out.</summary>
    private ImageBuildOptions Product(string format, string extra = "", bool split = true)
    {
        var layout = Directory.CreateDirectory(_dir["repart.d"]).FullName;
        File.WriteAllText(Path.Combine(layout, "00-esp.conf"), "[Partition]\nType=esp\nFormat=vfat\nLabel=ESP\nSizeMinBytes=40M\nSizeMaxBytes=40M\n");
        File.WriteAllText(Path.Combine(layout, "10-usr-a.conf"), $"[Partition]\nType=usr\nLabel=demo_%A\nFormat={format}\nCopyFiles=/tree/usr:/\nVerity=data\nVerityMatchKey=usr\nMinimize=best\n{extra}");
        File.WriteAllText(Path.Combine(layout, "11-usr-verity-a.conf"), "[Partition]\nType=usr-verity\nLabel=demo_%A\nVerity=hash\nVerityMatchKey=usr\nMinimize=best\n");
        File.WriteAllText(Path.Combine(layout, "12-usr-verity-sig-a.conf"), "[Partition]\nType=usr-verity-sig\nLabel=demo_%A\nVerity=signature\nVerityMatchKey=usr\n");
        File.WriteAllText(Path.Combine(layout, "20-usr-b.conf"), "[Partition]\nType=usr\nLabel=_empty\nSizeMinBytes=2M\nSizeMaxBytes=2M\n");
        File.WriteAllText(Path.Combine(layout, "21-usr-verity-b.conf"), "[Partition]\nType=usr-verity\nLabel=_empty\nSizeMinBytes=64K\nSizeMaxBytes=64K\n");
        File.WriteAllText(Path.Combine(layout, "22-usr-verity-sig-b.conf"), "[Partition]\nType=usr-verity-sig\nLabel=_empty\nSizeMinBytes=16K\nSizeMaxBytes=16K\n");

        var definitions = Directory.CreateDirectory(_dir["transfer.d"]).FullName;
        foreach (var (name, type) in new[] { ("10-usr", "usr"), ("11-usr-verity", "usr-verity"), ("12-usr-verity-sig", "usr-verity-sig") })
        {
            File.WriteAllText(Path.Combine(definitions, $"{name}.transfer"),
                $"[Source]\nType=url-file\nPath=https://updates.example.org/demo\nMatchPattern=demo_@v_@u.{type}.raw\n\n[Target]\nType=partition\nPath=auto\nMatchPattern=demo_@v\nMatchPartitionType={type}\n");
        }

        File.WriteAllText(Path.Combine(definitions, "90-uki.transfer"), "[Source]\nType=url-file\nPath=https://updates.example.org/demo\nMatchPattern=demo_@v.efi\n\n[Target]\nType=regular-file\nPath=/EFI/Linux\nPathRelativeTo=boot\nMatchPattern=demo_@v.efi\n");

        var payloads = Directory.CreateDirectory(_dir["payloads"]).FullName;
        File.WriteAllText(Path.Combine(payloads, "demo_1.efi"), "MZ the UKI of version 1\n");

        var tree = Directory.CreateDirectory(_dir["source/tree/usr/lib"]).FullName;
        File.WriteAllText(Path.Combine(tree, "os-release"), "ID=demo\nIMAGE_VERSION=1\n");
        Directory.CreateDirectory(_dir["source/tree/usr/bin"]);
        File.WriteAllBytes(_dir["source/tree/usr/bin/tool"], VerityHashTreeTests.RandomData(300_000, 7));

        var keys = VerityTestKeys.Create(_dir, "signer");
        return new ImageBuildOptions
        {
            Engine = new EngineOptions { DefinitionsDirectory = definitions },
            LayoutDirectory = layout,
            Version = "1",
            PayloadsDirectory = payloads,
            Output = _dir["disk.raw"],
            SourceDateEpoch = "1704067200",
            Seed = Seed,
            CopySource = _dir["source"],
            SplitDirectory = split ? _dir["split"] : null,
            PrivateKey = keys.Key,
            Certificate = keys.Certificate,
        };
    }

    [Theory]
    [InlineData("erofs", "mkfs.erofs", "")]
    [InlineData("erofs", "mkfs.erofs", "Compression=lz4hc\nCompressionLevel=9\n")]
    [InlineData("squashfs", "mksquashfs", "")]
    [InlineData("squashfs", "mksquashfs", "Compression=zstd\nCompressionLevel=19\n")]
    public async Task A_verity_usr_is_built_hashed_signed_and_split_for_publish(string format, string mkfs, string extra)
    {
        RequireTools(mkfs);
        var options = Product(format, extra);

        var built = await ImageBuild.RunAsync(options, _log, observer: null, CancellationToken.None);

        var table = GptDisk.ReadTable(built);
        var used = table.Entries.Where(e => e.IsUsed).ToList();
        Assert.Equal(["ESP", "demo_1", "demo_1", "demo_1", "_empty", "_empty", "_empty"], used.Select(e => e.Name));
        var (usr, hash, sig) = (used[1], used[2], used[3]);

        // dm-verity accepts our pair with our root hash; the signature partition signs that root hash.
        var data = ImageTools.Extract(built, usr.StartingLba * 512, (usr.EndingLba - usr.StartingLba + 1) * 512, _dir["usr.img"]);
        var tree = ImageTools.Extract(built, hash.StartingLba * 512, (hash.EndingLba - hash.StartingLba + 1) * 512, _dir["usr-verity.img"]);
        var signaturePartition = File.ReadAllBytes(ImageTools.Extract(built, sig.StartingLba * 512, (sig.EndingLba - sig.StartingLba + 1) * 512, _dir["usr-verity-sig.img"]));
        var signature = VeritySignature.Read(signaturePartition, "the built signature partition");
        var rootHash = signature.RootHashHex;
        var verify = Veritysetup.Verify(data, tree, rootHash);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(RepartVerity.DataPartitionUuid(signature.RootHash.Span), usr.UniqueId);
        Assert.Equal(RepartVerity.HashPartitionUuid(signature.RootHash.Span), hash.UniqueId);
        Assert.True(PartitionType.TryParse("usr-verity-sig", out var sigType));
        Assert.Equal(RepartUuids.Partition(Seed, sigType, 0), sig.UniqueId);
        signature.Verify(VerityTestKeys.Load((options.PrivateKey!, options.Certificate!)).Certificate, "the built signature partition");
        File.WriteAllBytes(_dir["sig.der"], signature.Signature.ToArray());
        File.WriteAllText(_dir["roothash"], rootHash);
        var cms = TestProcess.Run("openssl", ["cms", "-verify", "-binary", "-content", _dir["roothash"], "-inform", "DER", "-in", _dir["sig.der"], "-CAfile", options.Certificate!, "-purpose", "any", "-out", "/dev/null"]);
        Assert.True(cms.ExitCode == 0, cms.ToString());

        // Minimize=best: the data partition is the file system rounded to 4 KiB, the hash partition exactly the tree.
        var superblock = VeritySuperblock.Read(File.ReadAllBytes(tree), "tree");
        Assert.Equal(new FileInfo(data).Length, superblock.DataSize);
        Assert.Equal(RepartSizeRound(VerityTreeLayout.For(superblock.DataBlocks, 4096).HashDeviceSize), new FileInfo(tree).Length);
        Assert.Equal(RepartVerity.Salt(Seed), superblock.Parameters.Salt.ToArray());

        // The split payloads carry the names publish looks for, and the bytes of the partitions.
        var hex = (Guid g) => g.ToString("N");
        Assert.Equal(
            new[] { $"demo_1_{hex(usr.UniqueId)}.usr.raw", $"demo_1_{hex(hash.UniqueId)}.usr-verity.raw", $"demo_1_{hex(sig.UniqueId)}.usr-verity-sig.raw" }.Order(StringComparer.Ordinal),
            Directory.GetFiles(_dir["split"]).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(File.ReadAllBytes(data), File.ReadAllBytes(_dir[$"split/demo_1_{hex(usr.UniqueId)}.usr.raw"]));
        Assert.Equal(File.ReadAllBytes(tree), File.ReadAllBytes(_dir[$"split/demo_1_{hex(hash.UniqueId)}.usr-verity.raw"]));
        Assert.Equal(signature.ToJson(), File.ReadAllText(_dir[$"split/demo_1_{hex(sig.UniqueId)}.usr-verity-sig.raw"]));

        // The file system holds the tree (read back with the file system's own tools).
        if (format == "erofs")
        {
            var fsck = TestProcess.Run("fsck.erofs", [$"--extract={_dir["extracted"]}", data]);
            Assert.True(fsck.ExitCode == 0, fsck.ToString());
        }
        else
        {
            TestProcess.RunChecked("unsquashfs", ["-d", _dir["extracted"], data]);
        }

        Assert.Equal(File.ReadAllBytes(_dir["source/tree/usr/bin/tool"]), File.ReadAllBytes(_dir["extracted/bin/tool"]));
    }

    [Fact]
    public async Task The_same_inputs_give_the_same_image_and_payloads()
    {
        RequireTools("mkfs.erofs");
        var options = Product("erofs");
        var first = File.ReadAllBytes(await ImageBuild.RunAsync(options, _log, observer: null, CancellationToken.None));
        var firstSplit = Directory.GetFiles(_dir["split"]).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        Directory.Delete(_dir["split"], recursive: true);

        var second = File.ReadAllBytes(await ImageBuild.RunAsync(options, _log, observer: null, CancellationToken.None));

        Assert.True(first.AsSpan().SequenceEqual(second), "two builds differ");
        Assert.Equal(firstSplit, Directory.GetFiles(_dir["split"]).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray());
    }

    /// <summary>
    /// SYSTEMD_REPART_MKFS_OPTIONS_EROFS reaches mkfs.erofs as repart 262 passes it (appended last): with
    /// -Enoinline_data (the layout README advises for deltas) the file system differs from the default
    /// one, fsck.erofs accepts it, and it holds the same tree.
    /// </summary>
    [Fact]
    public async Task Mkfs_options_from_the_environment_reach_mkfs_erofs_as_repart_passes_them()
    {
        RequireTools("mkfs.erofs");
        var options = Product("erofs", split: false);
        var plain = UsrOf(await ImageBuild.RunAsync(options, _log, observer: null, CancellationToken.None), "plain.img");
        var tuned = options with
        {
            Engine = options.Engine with { Environment = new HostEnvironment(new Dictionary<string, string> { [RepartMkfsOptions.VariableFor("erofs")] = "-Enoinline_data" }) },
        };

        var data = UsrOf(await ImageBuild.RunAsync(tuned, _log, observer: null, CancellationToken.None), "tuned.img");

        Assert.NotEqual(File.ReadAllBytes(plain), File.ReadAllBytes(data));
        var fsck = TestProcess.Run("fsck.erofs", [$"--extract={_dir["extracted"]}", data]);
        Assert.True(fsck.ExitCode == 0, fsck.ToString());
        Assert.Equal(File.ReadAllBytes(_dir["source/tree/usr/bin/tool"]), File.ReadAllBytes(_dir["extracted/bin/tool"]));

        string UsrOf(string built, string name)
        {
            var usr = GptDisk.ReadTable(built).Entries.Where(e => e.IsUsed).ElementAt(1);
            return ImageTools.Extract(built, usr.StartingLba * 512, (usr.EndingLba - usr.StartingLba + 1) * 512, _dir[name]);
        }
    }

    [Fact]
    public async Task Without_a_key_a_signature_partition_is_refused_and_no_image_is_left()
    {
        RequireTools("mkfs.erofs");
        var options = Product("erofs", split: false) with { PrivateKey = null, Certificate = null };

        var e = await Assert.ThrowsAsync<ImageUpdate.Foundation.Errors.UsageException>(() => ImageBuild.RunAsync(options, _log, observer: null, CancellationToken.None));

        Assert.Equal($"{_dir["repart.d/12-usr-verity-sig-a.conf"]} is a Verity=signature partition; build-image needs --private-key and --certificate to sign its root hash.", e.Message);
        Assert.Equal(new[] { "repart.d", "transfer.d", "payloads", "source", "signer.key", "signer.crt" }.Order(StringComparer.Ordinal), Directory.GetFileSystemEntries(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private static long RepartSizeRound(long size) => (size + 4095) / 4096 * 4096;
}
