using ImageUpdate.Model.Resources;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Update.Verity;

/// <summary>
/// A version's copy of one transfer as the check sees it: where it lies in its target, the partition
/// UUID it carries or will carry when pending (a written slot keeps its own when nothing sets one;
/// null for a file), and whether this run wrote it (only groups with such a copy are checked).
/// </summary>
public sealed record VerityCopy(ITargetResource Target, InstanceLocation Location, Guid? PartitionUuid, bool WrittenNow)
{
    /// <summary>The copy's name in messages: the partition's device name or the file's path.</summary>
    public string Name => Location switch
    {
        PartitionLocation p => p.Slot.DevicePath,
        FileLocation f => f.Path,
        _ => Location.ToString(),
    };

    public VerityPart ToPart() => new(Name, PartitionUuid, cancellationToken => Target.OpenReadAsync(Location, cancellationToken));
}
