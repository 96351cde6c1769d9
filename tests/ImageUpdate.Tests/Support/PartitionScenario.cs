using System.IO.Compression;
using System.Security.Cryptography;
using ImageUpdate.Tests.Formats.Gpt;

namespace ImageUpdate.Tests.Support;

/// <summary>
/// systemd v252's sysupdate test (Debian 12's testsuite-72.sh) rebuilt for image-update: a GPT made by
/// sfdisk with two root-x86-64 and two root-x86-64-verity `_empty` slots, transfers 01 (part1-@v.raw
/// into a root slot), 02 (part2-@v.raw.gz into a verity slot, labelled a-very-long-partition-name-@v as
/// newer TEST-72 does) and 03 (dir-@v into a directory with CurrentSymlink, InstancesMax=3), written as
/// `.conf` files for --definitions as v252 reads them. With 512-byte sectors the disk is the image file
/// itself (v252's 10 MiB); with 4096 it is a loop device made with `losetup --sector-size 4096` and
/// partitioned through it (sfdisk takes the sector size from the device). Payload and slot sizes may be
/// raised for tests that need several write buffers.
/// </summary>
internal sealed class PartitionScenario : IDisposable
{
    public const string RootType = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709";
    public const string VerityType = "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5";

    private readonly TempDirectory _dir = new("image-update-parts-");
    private readonly string? _loop;

    /// <param name="sectorSize">512: an image file; 4096: a loop device (root).</param>
    /// <param name="slotSectors">The size of each of the four slots, in sectors (v252: 2048).</param>
    /// <param name="payloadBytes">The size of each partition payload (v252: 1 MiB).</param>
    public PartitionScenario(int sectorSize = 512, int slotSectors = 2048, int payloadBytes = 1 << 20, string? extraTargetKeys = null)
    {
        SectorSize = sectorSize;
        PayloadBytes = payloadBytes;
        Image = _dir["joined.raw"];
        var bytes = Math.Max(10L << 20, (4L * slotSectors * sectorSize) + (2L << 20));
        GptTools.NewImage(_dir.Path, "joined.raw", bytes);
        if (sectorSize == 512)
        {
            Disk = Image;
        }
        else
        {
            _loop = GptTools.Run("losetup", ["--find", "--show", "--sector-size", sectorSize.ToString(System.Globalization.CultureInfo.InvariantCulture), Image]).Trim();
            Disk = _loop;
        }

        var slot = $"size={slotSectors}";
        GptTools.Sfdisk(Disk, $"""
            label: gpt
            unit: sectors
            sector-size: {sectorSize}

            {slot}, type={RootType}, name=_empty
            {slot}, type={RootType}, name=_empty
            {slot}, type={VerityType}, name=_empty
            {slot}, type={VerityType}, name=_empty

            """);
        Initial = GptTools.SfdiskJson(Disk);
        Assert.Equal(sectorSize, Initial.SectorSize);

        Directory.CreateDirectory(Source);
        Directory.CreateDirectory(Definitions);
        Write("01-first.conf", $"""
            [Source]
            Type=regular-file
            Path={Source}
            MatchPattern=part1-@v.raw

            [Target]
            Type=partition
            Path={Disk}
            MatchPattern=part1-@v
            MatchPartitionType=root-x86-64
            {extraTargetKeys}
            """);
        Write("02-second.conf", $"""
            [Source]
            Type=regular-file
            Path={Source}
            MatchPattern=part2-@v.raw.gz

            [Target]
            Type=partition
            Path={Disk}
            MatchPattern=a-very-long-partition-name-@v
            MatchPartitionType=root-x86-64-verity
            """);
        Write("03-third.conf", $"""
            [Source]
            Type=directory
            Path={Source}
            MatchPattern=dir-@v

            [Target]
            Type=directory
            Path={Dirs}
            CurrentSymlink={Dirs}/current
            MatchPattern=dir-@v
            InstancesMax=3
            """);
    }

    public int SectorSize { get; }

    public int PayloadBytes { get; }

    /// <summary>The image file (the loop device's backing file for 4096-byte sectors).</summary>
    public string Image { get; }

    /// <summary>What Path= names: the image file, or the loop device.</summary>
    public string Disk { get; }

    /// <summary>The table as sfdisk made it.</summary>
    public SfdiskTable Initial { get; }

    public string Work => _dir.Path;

    public string Source => _dir["source"];

    public string Definitions => _dir["defs"];

    public string Dirs => _dir["dirs"];

    public static Guid Root => new(RootType);

    public static Guid Verity => new(VerityType);

    /// <summary>new_version V: random part1 and part2 payloads (part2 also gzipped), dir-V with two files.</summary>
    public void NewVersion(string version)
    {
        File.WriteAllBytes(Path.Combine(Source, $"part1-{version}.raw"), RandomNumberGenerator.GetBytes(PayloadBytes));
        var part2 = RandomNumberGenerator.GetBytes(PayloadBytes);
        File.WriteAllBytes(Path.Combine(Source, $"part2-{version}.raw"), part2);
        using (var gz = new GZipStream(File.Create(Path.Combine(Source, $"part2-{version}.raw.gz")), CompressionLevel.Fastest))
        {
            gz.Write(part2);
        }

        var dir = Path.Combine(Source, $"dir-{version}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "foo.txt"), $"{RandomNumberGenerator.GetInt32(32768)}\n");
        File.WriteAllText(Path.Combine(dir, "bar.txt"), $"{RandomNumberGenerator.GetInt32(32768)}\n");
    }

    public Task<RunResult> RunAsync(params string[] args) => RunAsync(null, args);

    public Task<RunResult> RunAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        ImageUpdateProcess.RunAsync(environment, ["--definitions", Definitions, .. args]);

    public SfdiskTable Table() => GptTools.SfdiskJson(Disk);

    /// <summary>verify_version V S1 S2: slot S1 holds part1-V and slot S2 part2-V byte for byte, labelled and typed final.</summary>
    public void AssertSlots(string version, int part1Slot, int part2Slot)
    {
        var table = Table();
        AssertSlot(table, part1Slot, Root, $"part1-{version}", Path.Combine(Source, $"part1-{version}.raw"));
        AssertSlot(table, part2Slot, Verity, $"a-very-long-partition-name-{version}", Path.Combine(Source, $"part2-{version}.raw"));
    }

    public void AssertCurrentDirectory(string version)
    {
        Assert.Equal(File.ReadAllText(Path.Combine(Source, $"dir-{version}", "foo.txt")), File.ReadAllText(Path.Combine(Dirs, "current", "foo.txt")));
        Assert.Equal(File.ReadAllText(Path.Combine(Source, $"dir-{version}", "bar.txt")), File.ReadAllText(Path.Combine(Dirs, "current", "bar.txt")));
    }

    /// <summary>The partition's bytes, read at the offset sfdisk --json gives.</summary>
    public byte[] ReadSlot(SfdiskPartition partition, int length)
    {
        using var file = new FileStream(Image, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        file.Position = (long)partition.Start * SectorSize;
        var bytes = new byte[length];
        file.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The slot's UUID, extent and attributes are what sfdisk made, unless a transfer says otherwise.</summary>
    public SfdiskPartition InitialSlot(int number) => Initial.Partitions.Single(p => p.Number == number);

    public void Write(string name, string text) => File.WriteAllText(Path.Combine(Definitions, name), text + "\n");

    public void Dispose()
    {
        if (_loop is not null)
        {
            GptTools.Run("losetup", ["--detach", _loop], check: false);
        }

        _dir.Dispose();
    }

    private void AssertSlot(SfdiskTable table, int number, Guid type, string label, string source)
    {
        var partition = table.Partitions.Single(p => p.Number == number);
        Assert.Equal((type, label), (partition.Type, partition.Name));
        var initial = InitialSlot(number);
        Assert.Equal((initial.Start, initial.Size), (partition.Start, partition.Size));
        var expected = File.ReadAllBytes(source);
        Assert.True(expected.AsSpan().SequenceEqual(ReadSlot(partition, expected.Length)), $"slot {number} does not hold {Path.GetFileName(source)} byte for byte");
    }
}
