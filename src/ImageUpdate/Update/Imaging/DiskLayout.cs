using System.Collections.Immutable;
using ImageUpdate.Formats.Gpt;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// A whole disk as <see cref="DiskLayoutPlanner"/> computed it: its size, the GPT header's fields and
/// the placed partitions in on-disk order. <see cref="Dropped"/> lists definitions left out because
/// they did not fit (Priority=).
/// </summary>
public sealed record DiskLayout(
    int SectorSize,
    ulong SizeInBytes,
    Guid DiskGuid,
    ulong FirstUsableLba,
    ulong LastUsableLba,
    ImmutableArray<PlannedPartition> Partitions,
    ImmutableArray<RepartPartition> Dropped)
{
    /// <summary>libfdisk's (and so repart's) entry array: 128 entries of 128 bytes.</summary>
    public const int EntryCount = 128;

    public ulong SectorCount => SizeInBytes / (ulong)SectorSize;

    /// <summary>The GPT this layout describes, every entry slot included.</summary>
    public PartitionTable ToPartitionTable()
    {
        var entries = Enumerable.Repeat(PartitionEntry.Unused, EntryCount).ToArray();
        foreach (var p in Partitions)
        {
            entries[p.Number - 1] = new PartitionEntry
            {
                Type = p.Type,
                UniqueId = p.Uuid,
                StartingLba = p.FirstLba(SectorSize),
                EndingLba = p.LastLba(SectorSize),
                Attributes = p.Attributes,
                Name = p.Label,
            };
        }

        return new PartitionTable
        {
            DiskGuid = DiskGuid,
            SectorSize = SectorSize,
            FirstUsableLba = FirstUsableLba,
            LastUsableLba = LastUsableLba,
            Entries = [.. entries],
        };
    }
}
