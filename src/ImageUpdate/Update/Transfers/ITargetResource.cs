using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// A place transfers write to: a directory of files or subdirectories, or a partition table. The
/// engine drives every kind through the same steps: load, vacuum, prepare names, acquire into a
/// partial copy that becomes pending, install pending into final.
/// </summary>
public interface ITargetResource
{
    /// <summary>The instances present now (including partial and pending copies), and free slots.</summary>
    Task<ResourceInventory> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Deletes leftovers of interrupted runs (RemoveTemporary=).</summary>
    Task RemoveTemporariesAsync(CancellationToken cancellationToken);

    /// <summary>Removes one instance (files: delete and prune emptied parents; partitions: back to `_empty`).</summary>
    Task RemoveAsync(Instance instance, CancellationToken cancellationToken);

    /// <summary>
    /// Where a new instance would go once making room removed <paramref name="removed"/> (and this
    /// target's leftovers), read before anything is written, for the engine's whole-update size check;
    /// null when the target cannot tell (then only the check when its write starts applies).
    /// <paramref name="prepared"/> is null when nothing is written here (a disabled transfer making room
    /// wipes: only what it frees counts); <paramref name="removed"/> is null when making room skips this
    /// target (it already holds the version): nothing is freed, not even its leftovers.
    /// </summary>
    Task<TargetRoom?> RoomAsync(PreparedTarget? prepared, IReadOnlyList<Instance>? removed, CancellationToken cancellationToken) => Task.FromResult<TargetRoom?>(null);

    /// <summary>Computes and validates the names for a new instance; throws before anything is touched.</summary>
    PreparedTarget Prepare(InstanceMetadata metadata);

    /// <summary>Writes the payload into the partial copy, applies attributes, syncs, and marks it pending; returns where it lies.</summary>
    Task<PendingCopy> AcquireAsync(PreparedTarget prepared, SourcePayload payload, InstanceMetadata metadata, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// The first half of <see cref="AcquireAsync"/>: writes and syncs the payload but leaves it no
    /// instance yet, so the checks of a whole version (its verity partitions, <c>Update.Verity</c>) can
    /// read it before anything of it becomes pending. A payload rejected while written is partial, as in
    /// <see cref="AcquireAsync"/>.
    /// </summary>
    Task<WrittenCopy> WriteAsync(PreparedTarget prepared, SourcePayload payload, InstanceMetadata metadata, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    /// <summary>The second half of <see cref="AcquireAsync"/>: applies the attributes and marks the written copy pending.</summary>
    Task<PendingCopy> MarkPendingAsync(WrittenCopy written, CancellationToken cancellationToken);

    /// <summary>Marks a written copy that failed a check of its version as partial (what `list` shows and vacuum removes); it never becomes pending.</summary>
    Task RejectAsync(WrittenCopy written, CancellationToken cancellationToken);

    /// <summary>Reads the bytes of a written copy or an instance (a partition: its whole slot; a file: the file), from the start.</summary>
    Task<Stream> OpenReadAsync(InstanceLocation location, CancellationToken cancellationToken);

    /// <summary>For an instance found pending: the copy <see cref="AcquireAsync"/> would have returned for it.</summary>
    PendingCopy AdoptPending(PreparedTarget prepared, Instance pending);

    /// <summary>Turns the pending copy into the final one; returns what CurrentSymlink= should point to.</summary>
    Task<string> InstallAsync(PendingCopy pending, CancellationToken cancellationToken);

    /// <summary>
    /// Versions found bad in a boot whose copies were since removed: a target that holds boot entries
    /// remembers them (see <see cref="RememberBadAsync"/>), so they are never offered again.
    /// </summary>
    Task<IReadOnlyCollection<string>> RememberedBadAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyCollection<string>>([]);

    /// <summary>Called before a bad version's instance is removed from this target.</summary>
    Task RememberBadAsync(string version, CancellationToken cancellationToken) => Task.CompletedTask;
}
