using System.Buffers.Binary;
using System.Text.RegularExpressions;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Gpt;

/// <summary>
/// Deterministic mutations of real tables: bytes flipped, header fields set to extremes (with the CRCs
/// fixed up half the time, so the field checks behind the CRC are reached), images truncated. Reading
/// (and writing back what was read) may only succeed or raise PartitionTableException.
/// </summary>
public sealed class GptFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Iterations = 4000;

    // GptHeader field offsets (UEFI 2.10 table 5.5) and widths, for setting fields to extremes.
    private static readonly (int Offset, int Width)[] HeaderFields =
        [(8, 4), (12, 4), (20, 4), (24, 8), (32, 8), (40, 8), (48, 8), (72, 8), (80, 4), (84, 4), (88, 4)];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Mutated_tables_raise_only_PartitionTableException()
    {
        var seeds = new List<(string Name, byte[] Image, int SectorSize)>();
        var (fresh4k, _) = GptDiskWriteTests.FreshDisk(sectors: 256, sectorSize: 4096, entries: 128, entrySize: 256, headerExtra: [1, 2, 3, 4]);
        seeds.Add(("ours, 4096-byte sectors", fresh4k.ToArray(), 4096));
        var (fresh512, _) = GptDiskWriteTests.FreshDisk(sectors: 512, sectorSize: 512, entries: 56, entrySize: 128);
        seeds.Add(("ours, 56 entries", fresh512.ToArray(), 512));
        GptTools.Require("sfdisk", "sgdisk");
        var a = GptTools.NewImage(_temp.Path, "a.img", 256 << 10);
        GptTools.Sfdisk(a, "label: gpt\nfirst-lba: 34\nsize=100, name=\"a\"\nsize=100, name=\"b\", attrs=\"GUID:60\"\n");
        seeds.Add(("sfdisk", File.ReadAllBytes(a), 512));
        var b = GptTools.NewImage(_temp.Path, "b.img", 256 << 10);
        GptTools.Run("sgdisk", ["-o", "-a", "1", "-S", "248", "-n", "2:100:199", "-n", "1:300:400", b]);
        seeds.Add(("sgdisk, 248 entries", File.ReadAllBytes(b), 512));

        var random = new Random(0x6A7);
        var outcomes = new Dictionary<string, int>();
        var budget = new AllocationBudget(16L << 20);
        for (var i = 0; i < Iterations; i++)
        {
            var (name, seed, sectorSize) = seeds[i % seeds.Count];
            var image = Mutate(seed, sectorSize, random, out var mutation);
            var outcome = "read";
            var givenSectorSize = random.Next(3) == 0 ? (int?)null : sectorSize;
            var write = i % 4 == 0;
            try
            {
                budget.Measure(() =>
                {
                    var disk = GptDisk.FromStream(new MemoryStream(image), name, givenSectorSize);
                    var table = disk.ReadTable();
                    if (write)
                    {
                        disk.WriteTable(table);
                        Assert.Equal(table, disk.ReadTable());
                    }
                });
            }
            catch (PartitionTableException e)
            {
                // The first reason with its numbers blanked out: which check fired.
                var reason = e.Problem.Replace("neither GPT copy is valid: ", string.Empty, StringComparison.Ordinal).Split(';')[0];
                outcome = Regex.Replace(reason, "0x[0-9A-F]+|[0-9]+", "#");
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i} ({name}, {mutation}) threw {e.GetType().Name}: {e}");
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        foreach (var (outcome, count) in outcomes.OrderByDescending(o => o.Value))
        {
            output.WriteLine($"{count,6} {outcome}");
        }

        // The mutations must reach both the happy path and many distinct checks, or they test nothing.
        Assert.True(outcomes.GetValueOrDefault("read") > Iterations / 50, "too few mutations still read");
        Assert.True(outcomes.Count > 15, $"only {outcomes.Count} distinct outcomes");
        output.WriteLine(budget.ToString());
        budget.AssertWithin();
    }

    private static byte[] Mutate(byte[] seed, int sectorSize, Random random, out string mutation)
    {
        var image = seed.ToArray();
        var lastLba = (image.Length / sectorSize) - 1;
        var primary = sectorSize;
        var backup = lastLba * sectorSize;
        var header = random.Next(2) == 0 ? primary : backup;
        var both = random.Next(4) == 0;
        switch (random.Next(5))
        {
            case 0:
                mutation = "flip header bytes";
                for (var n = random.Next(1, 4); n > 0; n--)
                {
                    image[header + random.Next(96)] ^= (byte)(1 << random.Next(8));
                }

                break;
            case 1:
                mutation = "header field to an extreme";
                foreach (var h in both ? new[] { primary, backup } : [header])
                {
                    var (offset, width) = HeaderFields[random.Next(HeaderFields.Length)];
                    ulong value = random.Next(8) switch
                    {
                        0 => 0,
                        1 => ulong.MaxValue,
                        2 => (ulong)lastLba,
                        3 => (ulong)lastLba + 1,
                        4 => 1,
                        5 => 2,
                        6 => (ulong)random.Next(0, 4096),
                        _ => (ulong)random.NextInt64(),
                    };
                    if (width == 4)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(h + offset), (uint)value);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(h + offset), value);
                    }
                }

                break;
            case 2:
                mutation = "entry bytes";
                foreach (var h in both ? new[] { primary, backup } : [header])
                {
                    var entryLba = (long)BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(h + 72));
                    var entrySize = BinaryPrimitives.ReadInt32LittleEndian(image.AsSpan(h + 84));
                    var start = (entryLba * sectorSize) + (random.Next(4) * entrySize);
                    for (var n = random.Next(1, 9); n > 0; n--)
                    {
                        var at = start + random.Next(entrySize);
                        if (at >= 0 && at < image.Length)
                        {
                            image[at] = (byte)random.Next(256);
                        }
                    }

                    FixArrayCrc(image, h, sectorSize);
                }

                break;
            case 3:
                mutation = "truncated";
                return image[..random.Next(0, image.Length)];
            default:
                mutation = "entry LBAs to extremes";
                foreach (var h in both ? new[] { primary, backup } : [header])
                {
                    var entryLba = (long)BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(h + 72));
                    var at = (entryLba * sectorSize) + (random.Next(3) * 128) + 32 + (random.Next(2) * 8);
                    BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan((int)at), random.Next(3) switch { 0 => 0, 1 => ulong.MaxValue, _ => (ulong)random.Next(0, lastLba + 2) });
                    FixArrayCrc(image, h, sectorSize);
                }

                break;
        }

        if (random.Next(2) == 0)
        {
            FixHeaderCrc(image, primary);
            FixHeaderCrc(image, backup);
        }

        return image;
    }

    private static void FixArrayCrc(byte[] image, int header, int sectorSize)
    {
        var entryLba = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(header + 72));
        var bytes = (long)BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(header + 80)) * BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(header + 84));
        if (entryLba < (ulong)image.Length && (long)entryLba * sectorSize + bytes <= image.Length)
        {
            var crc = Crc32.Compute(image.AsSpan((int)entryLba * sectorSize, (int)bytes));
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(header + 88), crc);
        }

        FixHeaderCrc(image, header);
    }

    private static void FixHeaderCrc(byte[] image, int header)
    {
        var size = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(header + 12));
        if (size is >= 92 and <= 512)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(header + 16), 0);
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(header + 16), Crc32.Compute(image.AsSpan(header, (int)size)));
        }
    }
}
