using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// A copy written in full and synced but not pending yet (<see cref="ITargetResource.WriteAsync"/>):
/// a partition slot still being filled (P(T) + `_empty`), an in-flight file (`.#sysupdate.partial.NAME`).
/// To both tools it is no instance at all, so a kill leaves a leftover the next run removes. It
/// becomes pending (<see cref="ITargetResource.MarkPendingAsync"/>) or is rejected as partial
/// (<see cref="ITargetResource.RejectAsync"/>) once the checks of its whole version are done.
/// <see cref="Metadata"/> is what it becomes pending with; a partition's UUID is the one it will carry
/// (the slot's own when neither PartitionUUID= nor the source's @u sets one).
/// </summary>
public sealed record WrittenCopy(PreparedTarget Target, InstanceLocation Location, InstanceMetadata Metadata);
