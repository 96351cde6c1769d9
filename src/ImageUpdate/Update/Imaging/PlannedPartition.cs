namespace ImageUpdate.Update.Imaging;

/// <summary>
/// Where one repart.d partition goes on the disk and what its GPT entry says. Offsets and sizes are in
/// bytes, multiples of 4096 (and of the sector size).
/// </summary>
/// <param name="Number">The GPT partition number (entry index + 1), counting only partitions that were not dropped.</param>
/// <param name="Padding">Free space left after the partition (PaddingMinBytes=/PaddingWeight=).</param>
/// <param name="Attributes">The 64 GPT attribute bits: Flags= with ReadOnly=, NoAuto=, GrowFileSystem= applied.</param>
public sealed record PlannedPartition(
    int Number,
    RepartPartition Definition,
    ulong Offset,
    ulong Size,
    ulong Padding,
    Guid Type,
    Guid Uuid,
    string Label,
    ulong Attributes)
{
    public RepartFormat Format => Definition.Format;

    /// <summary>The first byte after the partition.</summary>
    public ulong End => Offset + Size;

    public ulong FirstLba(int sectorSize) => Offset / (ulong)sectorSize;

    /// <summary>Inclusive, as GPT stores it.</summary>
    public ulong LastLba(int sectorSize) => (End / (ulong)sectorSize) - 1;
}
