using System.Text.Json;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Verity;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Formats.Verity;
using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;
using ImageUpdate.Tests.Systemd.Health;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Imaging;

namespace ImageUpdate.Tests.Update.Imaging;

/// <summary>
/// build-image against the real systemd-repart 262 (the sid oracle chroot, through
/// tests/oracle/run-sysupdate with IMAGE_UPDATE_ORACLE_PROGRAM): the same Verity=data/hash/signature
/// definitions, data (CopyBlocks=), seed, key and certificate. Every partition of the triple must be
/// byte-identical (data with its zero tail, hash superblock and tree, signature JSON and padding for an RSA
/// key), with the same UUIDs, labels, sizes and attribute bits. Where the partitions sit on the disk is not
/// compared: build-image places them as Debian 12's repart 252 does (DiskLayoutRepartTests), which 262
/// changed (262 starts a small image's first partition right after the GPT), and build-image's image
/// carries an ESP that 262, without mkfs.vfat in the chroot, is not asked for. File system contents
/// (Format=erofs/squashfs) are not compared byte for byte: repart 262 runs mkfs.erofs without -T, so the
/// superblock carries the time of the build, and the chroot's erofs-utils (1.9) is not the host's (1.5),
/// whose layouts differ; those partitions are checked with veritysetup and fsck.erofs in
/// VerityImageBuildTests instead.
/// </summary>
public sealed class RepartVerityImageTests(ITestOutputHelper output) : IDisposable
{
    private const string SeedText = "750b6cd5-c4ae-4012-a15e-7be3c29e6a47";
    private readonly TempDirectory _dir = new("repart-verity");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(2 << 20, 64 << 10, 4096, 4096, false)]
    [InlineData(3 << 20, 128 << 10, 1024, 512, false)]
    [InlineData(1 << 20, 32 << 10, 4096, 4096, true)]
    public async Task The_verity_triple_build_image_writes_is_byte_identical_to_repart_262s(int dataSize, int hashSize, int dataBlockSize, int hashBlockSize, bool ec)
    {
        var oracle = SysupdateOracle.ForTest(output, 262)!;
        GptTools.Require("sfdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mmd");
        TestEnvironment.RequireFile(DiskImageOptions.DefaultSystemdBootPath, "apt-get install systemd-boot-efi");

        // Data shorter than the partition: both hash the zeros after it.
        File.WriteAllBytes(_dir["data.img"], VerityHashTreeTests.RandomData(dataSize - (300 * 1024), 5));
        var keys = VerityTestKeys.Create(_dir, "signer", ec);
        var triple = new Dictionary<string, string>
        {
            ["10-root.conf"] = $"[Partition]\nType=root\nCopyBlocks={_dir["data.img"]}\nVerity=data\nVerityMatchKey=root\nSizeMinBytes={dataSize}\nSizeMaxBytes={dataSize}\n",
            ["11-root-verity.conf"] = $"[Partition]\nType=root-verity\nVerity=hash\nVerityMatchKey=root\nVerityDataBlockSizeBytes={dataBlockSize}\nVerityHashBlockSizeBytes={hashBlockSize}\nSizeMinBytes={hashSize}\nSizeMaxBytes={hashSize}\n",
            ["12-root-verity-sig.conf"] = "[Partition]\nType=root-verity-sig\nVerity=signature\nVerityMatchKey=root\n",
        };
        var repartDefinitions = Directory.CreateDirectory(_dir["repart-defs"]).FullName;
        var ourDefinitions = Directory.CreateDirectory(_dir["our-defs"]).FullName;
        foreach (var (name, content) in triple)
        {
            File.WriteAllText(Path.Combine(repartDefinitions, name), content);
            File.WriteAllText(Path.Combine(ourDefinitions, name), content);
        }

        File.WriteAllText(Path.Combine(ourDefinitions, "00-esp.conf"), "[Partition]\nType=esp\nFormat=vfat\nSizeMinBytes=40M\nSizeMaxBytes=40M\n");

        var run = await oracle.RunAsync(
            _dir.Path,
            new Dictionary<string, string> { ["IMAGE_UPDATE_ORACLE_PROGRAM"] = "/usr/bin/systemd-repart" },
            "--empty=create", "--size=auto", "--dry-run=no", "--offline=yes", $"--seed={SeedText}",
            $"--definitions={repartDefinitions}", $"--private-key={keys.Key}", $"--certificate={keys.Certificate}",
            "--json=short", _dir["repart.img"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var theirs = JsonDocument.Parse(run.Stdout).RootElement.EnumerateArray().ToArray();

        var transfers = Directory.CreateDirectory(_dir["transfer.d"]).FullName;
        File.WriteAllText(Path.Combine(transfers, "90-uki.transfer"), "[Source]\nType=url-file\nPath=https://updates.example.org/demo\nMatchPattern=demo_@v.efi\n\n[Target]\nType=regular-file\nPath=/EFI/Linux\nPathRelativeTo=boot\nMatchPattern=demo_@v.efi\n");
        var payloads = Directory.CreateDirectory(_dir["payloads"]).FullName;
        File.WriteAllText(Path.Combine(payloads, "demo_1.efi"), "MZ the UKI of version 1\n");
        var ours = await ImageBuild.RunAsync(
            new ImageBuildOptions
            {
                Engine = new EngineOptions { DefinitionsDirectory = transfers },
                LayoutDirectory = ourDefinitions,
                Version = "1",
                PayloadsDirectory = payloads,
                Output = _dir["ours.img"],
                Seed = Guid.Parse(SeedText),
                SourceDateEpoch = "1704067200",
                PrivateKey = keys.Key,
                Certificate = keys.Certificate,
            },
            new RecordingLogger(),
            observer: null,
            CancellationToken.None);

        var table = GptDisk.ReadTable(ours);
        var ourEntries = table.Entries.Where(e => e.IsUsed).Skip(1).ToArray();
        var repartTable = GptDisk.ReadTable(_dir["repart.img"]);
        var repartEntries = repartTable.Entries.Where(e => e.IsUsed).ToArray();
        Assert.Equal(3, ourEntries.Length);
        Assert.Equal(3, repartEntries.Length);
        for (var i = 0; i < 3; i++)
        {
            var (mine, its) = (ourEntries[i], repartEntries[i]);
            Assert.Equal((its.Type, its.UniqueId, its.Name, its.Attributes, its.EndingLba - its.StartingLba), (mine.Type, mine.UniqueId, mine.Name, mine.Attributes, mine.EndingLba - mine.StartingLba));
            Assert.Equal(Guid.Parse(theirs[i].GetProperty("uuid").GetString()!), mine.UniqueId);
            var a = Bytes(_dir["repart.img"], its);
            var b = Bytes(ours, mine);
            if (ec && i == 2)
            {
                // ECDSA signatures are randomized (OpenSSL's and BouncyCastle's alike): the same JSON but for the signature.
                var repartSignature = VeritySignature.Read(a, "repart's signature partition");
                var ourSignature = VeritySignature.Read(b, "our signature partition");
                Assert.Equal(new VeritySignature(repartSignature.RootHash, repartSignature.CertificateFingerprint, ourSignature.Signature), ourSignature);
                ourSignature.Verify(VerityTestKeys.Load(keys).Certificate, "our signature partition");
            }
            else
            {
                Assert.True(a.AsSpan().SequenceEqual(b), $"partition {i + 1} ({mine.Name}) differs from repart's at byte {a.AsSpan().CommonPrefixLength(b)}");
            }
        }

        Assert.Equal(theirs[1].GetProperty("roothash").GetString(), Convert.ToHexStringLower(RepartVerity.RootHashFromPartitionUuids(ourEntries[0].UniqueId, ourEntries[1].UniqueId)));
    }

    private static byte[] Bytes(string image, PartitionEntry entry)
    {
        using var file = File.OpenRead(image);
        var bytes = new byte[(entry.EndingLba - entry.StartingLba + 1) * 512];
        file.Position = (long)entry.StartingLba * 512;
        file.ReadExactly(bytes);
        return bytes;
    }
}
