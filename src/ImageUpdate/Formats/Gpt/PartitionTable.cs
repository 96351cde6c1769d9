using System.Collections.Immutable;

namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// A whole GPT as one value: what the primary and backup copies share. Where each copy lives (MyLBA,
/// AlternateLBA, the backup array's LBA) follows from the device and is filled in by
/// <see cref="GptDisk.WriteTable"/>; the primary array's LBA is kept because tools may move it
/// (sgdisk -j). <see cref="Entries"/> holds every slot of the entry array, used or not: the index is
/// the slot, the partition number is index + 1.
/// </summary>
public sealed record PartitionTable
{
    /// <summary>The primary entry array's usual place, right after the primary header.</summary>
    public const ulong DefaultPrimaryEntryLba = 2;

    /// <summary>
    /// The largest entry array accepted (count × size), a guard against absurd values before any
    /// allocation: 4 MiB is 32768 entries of 128 bytes, far beyond what any tool creates (128 is usual).
    /// </summary>
    public const int MaxEntryArrayBytes = 4 << 20;

    public required Guid DiskGuid { get; init; }

    /// <summary>The logical block size the LBAs count in (512 or 4096).</summary>
    public required int SectorSize { get; init; }

    public required ulong FirstUsableLba { get; init; }

    public required ulong LastUsableLba { get; init; }

    /// <summary>SizeOfPartitionEntry: 128 × 2^n bytes.</summary>
    public uint EntrySize { get; init; } = PartitionEntry.MinimumSize;

    public required ImmutableArray<PartitionEntry> Entries { get; init; }

    public ulong PrimaryEntryLba { get; init; } = DefaultPrimaryEntryLba;

    public uint HeaderRevision { get; init; } = GptHeader.Revision1;

    public uint HeaderReserved { get; init; }

    /// <summary>Header bytes beyond 92 as read from the copy the table came from.</summary>
    public ReadOnlyMemory<byte> HeaderExtra { get; init; } = ReadOnlyMemory<byte>.Empty;

    /// <summary>The used entries with their slot index, in slot order.</summary>
    public IEnumerable<(int Index, PartitionEntry Entry)> Partitions =>
        Entries.Select((entry, index) => (index, entry)).Where(pair => pair.entry.IsUsed);

    /// <summary>The number of logical blocks one copy of the entry array occupies.</summary>
    public ulong EntryArraySectors => ((ulong)EntryArrayBytes + (ulong)SectorSize - 1) / (ulong)SectorSize;

    internal int EntryArrayBytes => checked(Entries.Length * (int)EntrySize);

    public PartitionTable WithEntry(int index, PartitionEntry entry)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Entries.Length);
        return this with { Entries = Entries.SetItem(index, entry) };
    }

    public PartitionTable WithEntry(int index, Func<PartitionEntry, PartitionEntry> change) => WithEntry(index, change(Entries[index]));

    public bool Equals(PartitionTable? other) =>
        other is not null
        && DiskGuid == other.DiskGuid
        && SectorSize == other.SectorSize
        && FirstUsableLba == other.FirstUsableLba
        && LastUsableLba == other.LastUsableLba
        && EntrySize == other.EntrySize
        && PrimaryEntryLba == other.PrimaryEntryLba
        && HeaderRevision == other.HeaderRevision
        && HeaderReserved == other.HeaderReserved
        && HeaderExtra.Span.SequenceEqual(other.HeaderExtra.Span)
        && Entries.SequenceEqual(other.Entries);

    public override int GetHashCode() => HashCode.Combine(DiskGuid, FirstUsableLba, LastUsableLba, Entries.Length);

    internal static PartitionTable FromCopy(GptHeader header, ImmutableArray<PartitionEntry> entries, int sectorSize, ulong primaryEntryLba) => new()
    {
        DiskGuid = header.DiskGuid,
        SectorSize = sectorSize,
        FirstUsableLba = header.FirstUsableLba,
        LastUsableLba = header.LastUsableLba,
        EntrySize = header.SizeOfPartitionEntry,
        Entries = entries,
        PrimaryEntryLba = primaryEntryLba,
        HeaderRevision = header.Revision,
        HeaderReserved = header.Reserved,
        HeaderExtra = header.Extra,
    };

    /// <summary>Serialises the entry array: count × size bytes.</summary>
    internal byte[] EntryArrayToBytes()
    {
        var bytes = new byte[EntryArrayBytes];
        for (var i = 0; i < Entries.Length; i++)
        {
            Entries[i].WriteTo(bytes.AsSpan(i * (int)EntrySize, (int)EntrySize));
        }

        return bytes;
    }

    /// <summary>
    /// The header of one copy. Both copies are built from the table in one expression each, so the
    /// backup cannot end up with MyLBA and AlternateLBA equal (the DiscUtils bug of assigning one field
    /// from the other in sequence).
    /// </summary>
    internal GptHeader HeaderFor(ulong myLba, ulong alternateLba, ulong entryLba, uint entryArrayCrc) => new()
    {
        Revision = HeaderRevision,
        Reserved = HeaderReserved,
        MyLba = myLba,
        AlternateLba = alternateLba,
        FirstUsableLba = FirstUsableLba,
        LastUsableLba = LastUsableLba,
        DiskGuid = DiskGuid,
        PartitionEntryLba = entryLba,
        NumberOfPartitionEntries = (uint)Entries.Length,
        SizeOfPartitionEntry = EntrySize,
        PartitionEntryArrayCrc32 = entryArrayCrc,
        Extra = HeaderExtra,
    };

    /// <summary>
    /// What must hold of the entries whatever the device: used entries start no later than they end,
    /// lie inside [FirstUsableLBA, LastUsableLBA] and do not overlap (UEFI 2.10 §5.3.3).
    /// </summary>
    internal void ValidateEntries(string source, string copy)
    {
        var used = new List<(int Index, PartitionEntry Entry)>();
        foreach (var (index, entry) in Partitions)
        {
            var number = index + 1;
            if (entry.StartingLba > entry.EndingLba)
            {
                throw new PartitionTableException(source, $"{copy} entry {number} starts at LBA {entry.StartingLba}, after its EndingLBA {entry.EndingLba}");
            }

            if (entry.StartingLba < FirstUsableLba)
            {
                throw new PartitionTableException(source, $"{copy} entry {number} starts at LBA {entry.StartingLba}, before FirstUsableLBA {FirstUsableLba}");
            }

            if (entry.EndingLba > LastUsableLba)
            {
                throw new PartitionTableException(source, $"{copy} entry {number} ends at LBA {entry.EndingLba}, after LastUsableLBA {LastUsableLba}");
            }

            used.Add((index, entry));
        }

        used.Sort((a, b) => a.Entry.StartingLba.CompareTo(b.Entry.StartingLba));
        for (var i = 1; i < used.Count; i++)
        {
            var (previousIndex, previous) = used[i - 1];
            var (index, entry) = used[i];
            if (entry.StartingLba <= previous.EndingLba)
            {
                throw new PartitionTableException(source, $"{copy} entry {index + 1} (LBA {entry.StartingLba}-{entry.EndingLba}) overlaps entry {previousIndex + 1} (LBA {previous.StartingLba}-{previous.EndingLba})");
            }
        }
    }
}
