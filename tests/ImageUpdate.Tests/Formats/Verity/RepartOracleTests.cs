using System.Text.Json;
using ImageUpdate.Formats.Verity;
using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Imaging;

namespace ImageUpdate.Tests.Formats.Verity;

/// <summary>
/// The real systemd-repart 262 (the sid oracle chroot, run through tests/oracle/run-sysupdate with
/// IMAGE_UPDATE_ORACLE_PROGRAM) builds a Verity=data/hash/signature triple from random data with a
/// fixed seed; our code, given the same data, seed, key and certificate, must produce the same hash
/// partition bytes, root hash, partition UUIDs and signature partition, byte for byte.
/// </summary>
public sealed class RepartOracleTests(ITestOutputHelper output)
{
    private const string SeedText = "750b6cd5-c4ae-4012-a15e-7be3c29e6a47";

    [Theory]
    [InlineData(300, 4096, 4096, false)]
    [InlineData(1, 4096, 4096, false)]
    [InlineData(3001, 1024, 512, true)]
    public async Task Our_verity_triple_is_byte_identical_to_repart_262s(int blocks, int dataBlockSize, int hashBlockSize, bool ec)
    {
        var oracle = SysupdateOracle.ForTest(output, 262)!;
        using var temp = new TempDirectory();
        var data = VerityHashTreeTests.RandomData(blocks * dataBlockSize, blocks);
        File.WriteAllBytes(temp["data.img"], data);
        var keyFiles = VerityTestKeys.Create(temp, "signer", ec);
        Directory.CreateDirectory(temp["defs"]);
        File.WriteAllText(temp["defs/10-root.conf"], $"[Partition]\nType=root\nCopyBlocks={temp["data.img"]}\nVerity=data\nVerityMatchKey=root\n");
        File.WriteAllText(temp["defs/11-root-verity.conf"], $"[Partition]\nType=root-verity\nVerity=hash\nVerityMatchKey=root\nVerityDataBlockSizeBytes={dataBlockSize}\nVerityHashBlockSizeBytes={hashBlockSize}\n");
        File.WriteAllText(temp["defs/12-root-verity-sig.conf"], "[Partition]\nType=root-verity-sig\nVerity=signature\nVerityMatchKey=root\n");

        var run = await oracle.RunAsync(
            temp.Path,
            new Dictionary<string, string> { ["IMAGE_UPDATE_ORACLE_PROGRAM"] = "/usr/bin/systemd-repart" },
            "--empty=create", "--size=auto", "--dry-run=no", "--offline=yes", $"--seed={SeedText}",
            $"--definitions={temp["defs"]}", $"--private-key={keyFiles.Key}", $"--certificate={keyFiles.Certificate}",
            "--json=short", temp["out.img"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var partitions = JsonDocument.Parse(run.Stdout).RootElement.EnumerateArray().ToArray();
        var image = File.ReadAllBytes(temp["out.img"]);
        byte[] Partition(int index) => image.AsSpan((int)partitions[index].GetProperty("offset").GetInt64(), (int)partitions[index].GetProperty("raw_size").GetInt64()).ToArray();
        Guid Uuid(int index) => Guid.Parse(partitions[index].GetProperty("uuid").GetString()!);
        var repartRoot = partitions[1].GetProperty("roothash").GetString()!;

        // repart hashes the whole data partition: the copied blocks and the zeros up to its size.
        var dataPartition = Partition(0);
        Assert.Equal(data, dataPartition[..data.Length]);
        Assert.False(dataPartition.AsSpan(data.Length).ContainsAnyExcept((byte)0));
        using var builder = new VerityHashTreeBuilder(RepartVerity.Parameters(Guid.Parse(SeedText), dataBlockSize, hashBlockSize), dataPartition.Length);
        builder.Append(dataPartition);
        var rootHash = builder.Complete().ToArray();
        var hashDevice = builder.ToHashDevice();

        Assert.Equal(repartRoot, Convert.ToHexStringLower(rootHash));
        var hashPartition = Partition(1);
        Assert.True(hashPartition.AsSpan(0, hashDevice.Length).SequenceEqual(hashDevice), "hash partition differs from ours");
        Assert.False(hashPartition.AsSpan(hashDevice.Length).ContainsAnyExcept((byte)0), "hash partition has bytes after the tree");
        Assert.Equal(RepartVerity.DataPartitionUuid(rootHash), Uuid(0));
        Assert.Equal(RepartVerity.HashPartitionUuid(rootHash), Uuid(1));

        // The signature partition's UUID is seed-derived like any partition's (root-x86-64-verity-sig type, first of its type).
        Assert.Equal(RepartUuids.Partition(Guid.Parse(SeedText), Guid.Parse("41092b05-9fc8-4523-994f-2def0408b176"), 0), Uuid(2));

        var signaturePartition = Partition(2);
        Assert.Equal(RepartVerity.SignaturePartitionSize, signaturePartition.Length);
        var theirs = VeritySignature.Read(signaturePartition, "repart's signature partition");
        var key = VerityTestKeys.Load(keyFiles);
        theirs.Verify(key.Certificate, "repart's signature partition");
        Assert.Equal(rootHash, theirs.RootHash.ToArray());
        Assert.Equal(VeritySignature.Fingerprint(key.Certificate), theirs.CertificateFingerprint.ToArray());
        var ours = VeritySignature.Create(rootHash, key.Certificate, key.PrivateKey);
        if (ec)
        {
            // ECDSA signatures are randomized (OpenSSL's and BouncyCastle's alike): the same JSON but for the signature bytes.
            Assert.Equal(new VeritySignature(theirs.RootHash, theirs.CertificateFingerprint, ours.Signature), ours);
            ours.Verify(key.Certificate, "ours");
        }
        else
        {
            Assert.Equal(Convert.ToHexStringLower(theirs.Signature.Span), Convert.ToHexStringLower(ours.Signature.Span));
            Assert.Equal(signaturePartition, ours.ToPartition(signaturePartition.Length));
        }
    }
}
