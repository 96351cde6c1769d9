using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Foundation.Native;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Gpt;

public sealed class GptDiskWriteTests : IDisposable
{
    private static readonly Guid Root = new("4f68bce3-e8cd-4db1-96e7-fbcaf984b709");
    private static readonly Guid RootVerity = new("2c7357ed-ebd2-46d9-aec1-23d437ec2bf5");

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("label: gpt\nsize=1024, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, name=\"_empty\"\nsize=1024, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, name=\"_empty\"\n")]
    [InlineData("label: gpt\ntable-length: 56\nIMG9 : start=2048, size=1024, name=\"_empty\"\nIMG2 : start=4096, size=1024, name=\"_empty\"\n")]
    [InlineData("label: gpt\ntable-length: 248\nsize=1024, name=\"_empty\"\nsize=1024, name=\"_empty\"\n")]
    public void What_we_write_is_what_sfdisk_and_sgdisk_see(string script)
    {
        GptTools.Require("sfdisk", "sgdisk");

        var image = GptTools.NewImage(_temp.Path, "disk.img", 4 << 20);
        GptTools.Sfdisk(image, script.Replace("IMG", image, StringComparison.Ordinal));
        var uuid = Guid.NewGuid();

        PartitionTable written;
        using (var disk = GptDisk.Open(image, writable: true))
        {
            // The three sysupdate transitions on one slot, then a second slot, each a separate write.
            var slot = disk.ReadTable().Partitions.First().Index;
            var other = disk.ReadTable().Partitions.Last().Index;
            disk.Update(t => t.WithEntry(slot, e => e with { Name = "part1-v1", Type = PartitionStates.PartialTypeFor(Root) }));
            disk.Update(t => t.WithEntry(slot, e => e with
            {
                Type = PartitionStates.PendingTypeFor(Root),
                UniqueId = uuid,
                Attributes = PartitionAttributes.ReadOnly | PartitionAttributes.GrowFileSystem | PartitionAttributes.NoAuto | PartitionAttributes.RequiredPartition | PartitionAttributes.LegacyBiosBootable | (1UL << 48),
            }));
            disk.Update(t => t.WithEntry(slot, e => e with { Type = Root }));
            written = disk.Update(t => t.WithEntry(other, e => e with { Name = new string('x', 36), Type = RootVerity }));
        }

        GptAssert.SgdiskFindsNoProblems(image);
        GptAssert.Matches(GptTools.SfdiskJson(image), written);
        var reread = GptDisk.Open(image).Read();
        Assert.True(reread.BothCopiesValid);
        Assert.Equal(written, reread.Table);
        var entry = reread.Table.Partitions.First().Entry;
        Assert.Equal((uuid, "part1-v1", Root), (entry.UniqueId, entry.Name, entry.Type));
    }

    [Theory]
    [InlineData(1, "primary")]
    [InlineData(-1, "backup")]
    public void A_write_makes_a_damaged_copy_whole(int lbaToZero, string copy)
    {
        GptTools.Require("sfdisk", "sgdisk");

        var image = GptTools.NewImage(_temp.Path, "disk.img", 4 << 20);
        GptTools.Sfdisk(image, "label: gpt\nsize=1024, name=\"a\"\n");
        var expected = GptTools.SfdiskJson(image);
        using (var file = new FileStream(image, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = lbaToZero > 0 ? lbaToZero * 512 : file.Length - 512;
            file.Write(new byte[512]);
        }

        using (var disk = GptDisk.Open(image, writable: true))
        {
            var damaged = disk.Read();
            Assert.NotNull(copy == "primary" ? damaged.PrimaryProblem : damaged.BackupProblem);

            // An unchanged table is still written when a copy is damaged.
            disk.Update(t => t);
            Assert.True(disk.Read().BothCopiesValid);
        }

        GptAssert.SgdiskFindsNoProblems(image);
        GptAssert.Matches(expected, GptDisk.ReadTable(image));
    }

    [Fact]
    public void The_backup_header_swaps_MyLBA_and_AlternateLBA_and_has_its_own_entry_LBA_and_CRC()
    {
        var (stream, _) = FreshDisk(sectors: 8192, sectorSize: 512, entries: 128, entrySize: 128);
        var bytes = stream.ToArray();
        var primary = GptHeader.Read(bytes.AsSpan(512, 512));
        var backup = GptHeader.Read(bytes.AsSpan(bytes.Length - 512, 512));
        Assert.Equal((1UL, 8191UL, 2UL), (primary.MyLba, primary.AlternateLba, primary.PartitionEntryLba));
        Assert.Equal((8191UL, 1UL, 8191UL - 32), (backup.MyLba, backup.AlternateLba, backup.PartitionEntryLba));
        Assert.NotEqual(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(512 + 16)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 512 + 16)));
        Assert.Equal(bytes.AsSpan(1024, 32 * 512).ToArray(), bytes.AsSpan(bytes.Length - (33 * 512), 32 * 512).ToArray());
    }

    [Fact]
    public void Unknown_header_and_entry_bytes_survive_a_rewrite()
    {
        var (stream, disk) = FreshDisk(sectors: 8192, sectorSize: 4096, entries: 16, entrySize: 512, headerExtra: [0xAB, 0xCD, 0xEF, 0x01]);
        disk.Update(t => t.WithEntry(0, e => e with { Name = "renamed" }));
        var table = disk.ReadTable();
        Assert.Equal("renamed", table.Entries[0].Name);
        Assert.Equal(Enumerable.Repeat((byte)0x5A, 384), table.Entries[0].Extra.ToArray());
        Assert.Equal(new byte[] { 0xAB, 0xCD, 0xEF, 0x01 }, table.HeaderExtra.ToArray());
        var backup = GptHeader.Read(stream.ToArray().AsSpan((8191 * 4096), 4096));
        Assert.Equal(96u, backup.HeaderSize);
    }

    [Fact]
    public void Larger_entries_and_headers_we_write_are_read_by_sfdisk()
    {
        GptTools.Require("sfdisk");

        var (stream, disk) = FreshDisk(sectors: 8192, sectorSize: 512, entries: 64, entrySize: 256, headerExtra: [0xAB, 0xCD, 0xEF, 0x01]);
        var image = Path.Combine(_temp.Path, "large-entries.img");
        File.WriteAllBytes(image, stream.ToArray());

        // sfdisk (libfdisk) honours SizeOfPartitionEntry; sgdisk 1.0.9 supports only 128-byte entries
        // ("Adjusting accordingly, but partition table may be garbage"), so it is no oracle here.
        GptAssert.Matches(GptTools.SfdiskJson(image), disk.ReadTable());
    }

    [Fact]
    public void Labels_longer_than_36_code_units_are_refused()
    {
        var (_, disk) = FreshDisk(sectors: 8192, sectorSize: 512, entries: 128, entrySize: 128);
        var error = Assert.Throws<PartitionTableException>(() => disk.Update(t => t.WithEntry(0, e => e with { Name = string.Concat(Enumerable.Repeat("\U0001F600", 19)) })));
        Assert.Contains("entry 1 label", error.Message, StringComparison.Ordinal);
        Assert.Contains("is 38 UTF-16 code units", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_crash_between_any_two_writes_leaves_the_old_or_the_new_table()
    {
        var (original, disk) = FreshDisk(sectors: 4096, sectorSize: 512, entries: 128, entrySize: 128);
        var before = original.ToArray();
        var oldTable = disk.ReadTable();
        var recorder = new RecordingStream(before);
        var newTable = GptDisk.FromStream(recorder, "recorded").Update(t => t.WithEntry(0, e => e with { Name = "new", Type = PartitionStates.PartialTypeFor(Root) }));

        // Backup array and header, sync, primary array and header, sync (UEFI 2.10 §5.3.2 readers prefer the primary).
        var writes = recorder.Log.Select(w => w.Bytes is null ? "sync" : w.Offset == 512 ? "primary header" : w.Offset == 1024 ? "primary array" : w.Offset == (4095 * 512) ? "backup header" : w.Offset == (4095 - 32) * 512 ? "backup array" : $"write at {w.Offset}");
        Assert.Equal(["backup array", "backup header", "sync", "primary array", "primary header", "sync"], writes);

        for (var crashAfter = 0; crashAfter <= recorder.Log.Count; crashAfter++)
        {
            // Each write may also be torn: only its first sector made it.
            foreach (var torn in new[] { false, true })
            {
                var image = before.ToArray();
                for (var i = 0; i < crashAfter; i++)
                {
                    var (offset, bytes) = recorder.Log[i];
                    if (bytes is null)
                    {
                        continue;
                    }

                    var length = torn && i == crashAfter - 1 ? Math.Min(512, bytes.Length) : bytes.Length;
                    bytes.AsSpan(0, length).CopyTo(image.AsSpan((int)offset));
                }

                var read = GptDisk.FromStream(new MemoryStream(image), "crashed").ReadTable();
                Assert.True(read.Equals(oldTable) || read.Equals(newTable), $"crash after {crashAfter} writes (torn: {torn}) gave a third table");
            }
        }
    }

    [Fact]
    public void Update_holds_an_exclusive_flock_on_the_file()
    {
        var image = Path.Combine(_temp.Path, "disk.img");
        var (stream, _) = FreshDisk(sectors: 4096, sectorSize: 512, entries: 128, entrySize: 128);
        File.WriteAllBytes(image, stream.ToArray());
        using var disk = GptDisk.Open(image, writable: true);
        int? errno = null;
        disk.Update(t =>
        {
            var fd = Libc.Gpt.Open(image, Libc.Gpt.OpenReadOnly | Libc.Gpt.OpenCloseOnExec);
            Assert.True(fd >= 0);
            using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
            const int lockNonBlocking = 4; // LOCK_NB
            errno = Libc.Gpt.Flock(fd, Libc.Gpt.LockShared | lockNonBlocking) == 0 ? 0 : Marshal.GetLastPInvokeError();
            return t.WithEntry(0, e => e with { Name = "locked" });
        });
        Assert.Equal(11, errno); // EWOULDBLOCK: the table was changed under LOCK_EX
    }

    [Fact]
    public void A_table_for_another_sector_size_is_refused()
    {
        var (_, disk) = FreshDisk(sectors: 8192, sectorSize: 512, entries: 128, entrySize: 128);
        var error = Assert.Throws<PartitionTableException>(() => disk.WriteTable(disk.ReadTable() with { SectorSize = 4096 }));
        Assert.Contains("counts 4096-byte sectors but the device has 512-byte sectors", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A disk made by our own writer (no tool needed): a valid protective MBR, two slots.</summary>
    internal static (MemoryStream Stream, GptDisk Disk) FreshDisk(int sectors, int sectorSize, int entries, int entrySize, byte[]? headerExtra = null)
    {
        var stream = new MemoryStream(new byte[sectors * sectorSize]);
        var disk = GptDisk.FromStream(stream, "fresh.img", sectorSize);
        var arraySectors = (ulong)(((entries * entrySize) + sectorSize - 1) / sectorSize);
        var extra = new byte[entrySize - PartitionEntry.MinimumSize];
        Array.Fill(extra, (byte)0x5A);
        var first = 2 + arraySectors;
        var last = (ulong)sectors - 2 - arraySectors;
        var slots = Enumerable.Range(0, entries).Select(i => i switch
        {
            0 => new PartitionEntry { Type = Root, UniqueId = Guid.NewGuid(), StartingLba = first, EndingLba = first + 99, Name = "_empty", Extra = extra },
            1 => new PartitionEntry { Type = Root, UniqueId = Guid.NewGuid(), StartingLba = first + 100, EndingLba = first + 199, Name = "_empty", Extra = extra },
            _ => PartitionEntry.Unused with { Extra = extra },
        });
        var table = new PartitionTable
        {
            DiskGuid = Guid.NewGuid(),
            SectorSize = sectorSize,
            FirstUsableLba = first,
            LastUsableLba = last,
            EntrySize = (uint)entrySize,
            Entries = [.. slots],
            HeaderExtra = headerExtra ?? ReadOnlyMemory<byte>.Empty,
        };
        disk.WriteTable(table);
        return (stream, disk);
    }
}
