using ImageUpdate.Formats.Gpt;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// The slots a partition target could claim once making room has run: the free ones and those its
/// removals give back. <paramref name="Where"/> is how the claim's refusal names them
/// ("in 'DISK' (type T)").
/// </summary>
public sealed record SlotRoom(string Disk, Guid Type, string Where, IReadOnlyList<PartitionSlot> Candidates) : TargetRoom
{
    public override string Pool => $"slots:{Disk}:{Type}";
}
