using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// A transfer's [Target]: where versions are installed. Null means "not configured" (the engine then
/// uses the source instance's metadata or leaves the property unchanged, sysupdate.d(5)).
/// </summary>
/// <param name="Path">An absolute, normalized path, or "auto" (partition targets only: the disk behind the root file system).</param>
/// <param name="MatchPartitionType">The GPT type of the slots; linux-generic when unset on a partition target, null for other targets unless set.</param>
/// <param name="InstancesMax">At least 2; <see cref="int.MaxValue"/> means unlimited (the partition default: every slot of the type).</param>
/// <param name="CurrentSymlink">Expanded and simplified; absolute when the target is a partition.</param>
public sealed record TargetDefinition(
    ResourceType Type,
    string Path,
    PathRelativeTo PathRelativeTo,
    PatternList Patterns,
    Guid? MatchPartitionType,
    Guid? PartitionUuid,
    ulong? PartitionFlags,
    bool? PartitionNoAuto,
    bool? PartitionGrowFileSystem,
    bool? ReadOnly,
    uint? Mode,
    ulong? TriesLeft,
    ulong? TriesDone,
    int InstancesMax,
    bool RemoveTemporary,
    string? CurrentSymlink)
{
    /// <summary>The value of <see cref="Path"/> for Path=auto.</summary>
    public const string AutoPath = "auto";

    public bool PathIsAuto => Path == AutoPath;
}
