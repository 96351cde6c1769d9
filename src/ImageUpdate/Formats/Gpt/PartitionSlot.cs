namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// One partition of a target's disk, as an instance or a free slot remembers it: its entry index, its
/// extent, and the device name sysupdate shows for it. The extent identifies it when the table is
/// read again under the lock: sysupdate never moves or resizes partitions, so a changed extent means
/// someone else rewrote the table and nothing is touched.
/// </summary>
/// <param name="Index">The entry's index in the GPT entry array (partition number - 1).</param>
/// <param name="DevicePath">libfdisk's name for the partition (/dev/loop0p1, /dev/sda1, disk.raw1); it may not exist.</param>
public sealed record PartitionSlot(int Index, ulong FirstLba, ulong LastLba, int SectorSize, string DevicePath)
{
    /// <summary>The partition number (1-based), as sfdisk and the kernel count.</summary>
    public int Number => Index + 1;

    /// <summary>The byte offset of the partition on the disk.</summary>
    public long Offset => checked((long)(FirstLba * (ulong)SectorSize));

    /// <summary>The partition's size in bytes: the most a payload may occupy.</summary>
    public long Size => checked((long)((LastLba - FirstLba + 1) * (ulong)SectorSize));

    public static PartitionSlot Of(int index, PartitionEntry entry, int sectorSize, string devicePath) =>
        new(index, entry.StartingLba, entry.EndingLba, sectorSize, devicePath);

    /// <summary>True when <paramref name="entry"/> still is this partition (used, same extent).</summary>
    public bool IsAt(PartitionEntry entry) => entry.IsUsed && entry.StartingLba == FirstLba && entry.EndingLba == LastLba;
}
