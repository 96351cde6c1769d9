using System.Security.Cryptography;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Gpt;

public sealed class GptDiskReadTests(ITestOutputHelper output) : IDisposable
{
    private const string Root = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709";
    private const string RootVerity = "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5";
    private const string Generic = "0fc63daf-8483-4772-8e79-3d69d8477de4";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    // sfdisk scripts; "IMG" is replaced by the image path so lines can name a slot ("IMG3 : ...").
    [Theory]
    [InlineData("entries out of order, gaps", $"label: gpt\nIMG3 : start=2048, size=1024, type={Root}, name=\"root-b\"\nIMG1 : start=6000, size=512, type={Generic}, name=\"first\", attrs=\"LegacyBIOSBootable GUID:59\"\nIMG7 : start=3200, size=100, type={RootVerity}, name=\"_empty\", attrs=\"RequiredPartition GUID:60,63\"\n")]
    [InlineData("56 entries", "label: gpt\ntable-length: 56\nsize=512, name=\"a\"\nsize=512, name=\"b\"\n")]
    [InlineData("248 entries, last slot", "label: gpt\ntable-length: 248\nIMG248 : start=2048, size=2048, name=\"far\"\n")]
    [InlineData("36-unit label outside ASCII", "label: gpt\nsize=100, name=\"äöüßéèêëïîôûçñåøæœ€£¥©®±µ¶·½¾¿ÀÁÂÃ\"\n")]
    public void Reads_tables_sfdisk_makes_in_odd_shapes(string shape, string script)
    {
        GptTools.Require("sfdisk");

        output.WriteLine(shape);
        var image = GptTools.NewImage(_temp.Path, "disk.img", 4 << 20);
        GptTools.Sfdisk(image, script.Replace("IMG", image, StringComparison.Ordinal));

        using var disk = GptDisk.Open(image);
        var result = disk.Read();
        Assert.True(result.BothCopiesValid, $"{result.PrimaryProblem} {result.BackupProblem}");
        GptAssert.Matches(GptTools.SfdiskJson(image), result.Table);
    }

    [Theory]
    [InlineData("248 entries, attribute 63", "-o -a 1 -S 248 -n 2:100:199 -n 1:300:400 -c 1:hello -t 1:" + Root + " -A 1:set:63")]
    [InlineData("entry array moved to LBA 100", "-o -a 1 -j 100 -n 1:200:300 -n 128:400:500 -c 128:last -t 128:" + RootVerity + " -A 128:set:0 -A 128:set:60")]
    public void Reads_tables_sgdisk_makes_in_odd_shapes(string shape, string arguments)
    {
        GptTools.Require("sgdisk", "sfdisk");

        output.WriteLine(shape);
        var image = GptTools.NewImage(_temp.Path, "disk.img", 1 << 20);
        GptTools.Run("sgdisk", [.. arguments.Split(' '), image]);

        var table = GptDisk.ReadTable(image);
        GptAssert.Matches(GptTools.SfdiskJson(image), table);
    }

    [Theory]
    [InlineData("primary header zeroed", true)]
    [InlineData("primary entries corrupted", true)]
    [InlineData("primary header CRC flipped", true)]
    [InlineData("backup header zeroed", false)]
    [InlineData("backup entries corrupted", false)]
    public void Reads_the_good_copy_when_the_other_is_damaged(string damage, bool primaryDamaged)
    {
        GptTools.Require("sfdisk");

        var image = GptTools.NewImage(_temp.Path, "disk.img", 4 << 20);
        GptTools.Sfdisk(image, $"label: gpt\nsize=1024, type={Root}, name=\"a\"\nsize=1024, type={RootVerity}, name=\"b\", attrs=\"GUID:60\"\n");
        var expected = GptTools.SfdiskJson(image);
        Damage(image, damage);
        var before = SHA256.HashData(File.ReadAllBytes(image));

        using (var disk = GptDisk.Open(image))
        {
            var result = disk.Read();
            GptAssert.Matches(expected, result.Table);
            Assert.Equal(primaryDamaged, result.PrimaryProblem is not null);
            Assert.Equal(!primaryDamaged, result.BackupProblem is not null);
            output.WriteLine(result.PrimaryProblem ?? result.BackupProblem ?? "");
        }

        // Reading never writes, not even to repair.
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(image)));
    }

    [Fact]
    public void Two_bad_copies_are_a_clear_error()
    {
        GptTools.Require("sfdisk");

        var image = GptTools.NewImage(_temp.Path, "disk.img", 4 << 20);
        GptTools.Sfdisk(image, "label: gpt\nsize=1024, name=\"a\"\n");
        Damage(image, "primary header zeroed");
        Damage(image, "backup entries corrupted");

        var error = Assert.Throws<PartitionTableException>(() => GptDisk.ReadTable(image));
        Assert.Contains("neither GPT copy is valid: the primary header signature is 0x0000000000000000", error.Message, StringComparison.Ordinal);
        Assert.Contains("the backup entry array sums to CRC32", error.Message, StringComparison.Ordinal);
        Assert.Contains(image, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disk_without_any_gpt_is_a_PartitionTableException()
    {
        var image = GptTools.NewImage(_temp.Path, "empty.img", 1 << 20);
        var error = Assert.Throws<PartitionTableException>(() => GptDisk.ReadTable(image));
        Assert.Contains("MBR signature is 0x0000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_partitions_are_refused_with_both_numbers()
    {
        GptTools.Require("sfdisk");

        var image = GptTools.NewImage(_temp.Path, "disk.img", 4 << 20);
        GptTools.Sfdisk(image, "label: gpt\nstart=2048, size=1024, name=\"a\"\nstart=4096, size=1024, name=\"b\"\n");
        using (var disk = GptDisk.Open(image, writable: true))
        {
            var table = disk.ReadTable();
            var error = Assert.Throws<PartitionTableException>(() => disk.WriteTable(table.WithEntry(1, e => e with { StartingLba = 3000 })));
            Assert.Contains("entry 2 (LBA 3000-5119) overlaps entry 1 (LBA 2048-3071)", error.Message, StringComparison.Ordinal);
        }
    }

    private static void Damage(string image, string damage)
    {
        using var file = new FileStream(image, FileMode.Open, FileAccess.ReadWrite);
        var lastLba = (file.Length / 512) - 1;
        switch (damage)
        {
            case "primary header zeroed":
                Overwrite(file, 512, new byte[512]);
                break;
            case "primary entries corrupted":
                Flip(file, 1024 + 16); // entry 1's unique GUID: random, so flipped, never overwritten with what may be there
                break;
            case "primary header CRC flipped":
                Flip(file, 512 + 16);
                break;
            case "backup header zeroed":
                Overwrite(file, lastLba * 512, new byte[512]);
                break;
            case "backup entries corrupted":
                Overwrite(file, (lastLba - 32) * 512, [0x42, 0x42]);
                break;
            default:
                throw new ArgumentException(damage, nameof(damage));
        }
    }

    private static void Flip(FileStream file, long offset)
    {
        file.Position = offset;
        var b = (byte)file.ReadByte();
        Overwrite(file, offset, [(byte)(b ^ 0xFF)]);
    }

    private static void Overwrite(FileStream file, long offset, byte[] bytes)
    {
        file.Position = offset;
        file.Write(bytes);
    }
}
