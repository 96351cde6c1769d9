using ImageUpdate.Formats.Gpt;
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

    /// <summary>
    /// PartitionZeroFill= (systemd 262, sysupdate.d(5)): whether a partition target zeroes its slot from
    /// the end of the payload to the end of the partition; null when unset, which means on for the
    /// *-verity-sig types and off otherwise (<see cref="ZeroFillsPartition"/>). Other targets ignore it.
    /// </summary>
    public bool? PartitionZeroFill { get; init; }

    /// <summary>
    /// Whether writing into a slot of type <paramref name="partitionType"/> zeroes what follows the
    /// payload: PartitionZeroFill= when set, else 262's default, on for Verity signature partitions (a
    /// JSON object that must be followed by NUL bytes only, which the split-out artifact does not carry).
    /// </summary>
    public bool ZeroFillsPartition(Guid partitionType) =>
        PartitionZeroFill ?? PartitionTypeTraits.Kind(partitionType)?.EndsWith("-verity-sig", StringComparison.Ordinal) == true;
}
