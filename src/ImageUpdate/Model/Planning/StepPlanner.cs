using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Model.Planning;

/// <summary>
/// Decides what `update`, `acquire` and `update --offline` do with the plan (sysupdate.md §3
/// "Acquire" and "Install"): which version, every refusal in sysupdate's words, and per transfer
/// whether it is kept, installed from its pending copy or acquired from its source (with the values
/// the new copy is named from). Pure: plan, definitions and target inventories in, steps out; the
/// engine only executes them.
/// </summary>
public static class StepPlanner
{
    /// <summary>`acquire [VERSION]` and the acquire half of `update [VERSION]`.</summary>
    /// <param name="transfers">The enabled transfers, in order.</param>
    /// <param name="targets">Their target inventories, by transfer id.</param>
    public static UpdateSteps PlanAcquire(UpdatePlan plan, string? version, IReadOnlyList<TransferDefinition> transfers, IReadOnlyDictionary<string, ResourceInventory> targets)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(transfers);
        ArgumentNullException.ThrowIfNull(targets);
        var notes = new List<StepNote>();
        if (Select(plan, version, notes, out var refusal) is not { } set)
        {
            return refusal is null ? Nothing(notes) : Refuse(null, notes, refusal);
        }

        if (set.Has(UpdateSetFlags.Partial))
        {
            return Refuse(set, notes, $"Selected update '{set.Version}' is already acquired and partially installed. Vacuum it to try installing again.");
        }

        if (set.Has(UpdateSetFlags.Incomplete))
        {
            notes.Add(StepNote.Repairing);
        }
        else if (set.Has(UpdateSetFlags.Pending))
        {
            notes.Add(StepNote.AlreadyPending);
        }
        else if (set.Has(UpdateSetFlags.Installed))
        {
            notes.Add(StepNote.AlreadyInstalled);
            return new UpdateSteps(StepDecision.AlreadyInstalled, set, notes, Empty);
        }

        // A pending set whose acquire was cut short is resumed: the transfers only the source has are
        // acquired instead of failing on the missing pending copies later (systemd #42186).
        if (transfers.Any(t => set.For(t.Id) is { InTarget: false }))
        {
            if (!set.Has(UpdateSetFlags.Available))
            {
                return Refuse(set, notes, $"Selected update '{set.Version}' is not available, refusing.");
            }

            if (set.Has(UpdateSetFlags.Obsolete))
            {
                return Refuse(set, notes, $"Selected update '{set.Version}' is obsolete, refusing.");
            }
        }

        NoteSelection(plan, set, notes);
        var steps = new Dictionary<string, TransferStep>(StringComparer.Ordinal);
        foreach (var transfer in transfers)
        {
            switch (set.For(transfer.Id))
            {
                case null:
                    return Refuse(set, notes, $"Selected update '{set.Version}' lacks transfer '{transfer.Id}' and is not available to complete it, refusing.");
                case { Instance.IsPending: true } pending:
                    steps[transfer.Id] = new InstallPending(transfer.Id, pending.Instance, CompileMetadata(transfer, pending));
                    break;
                case { InTarget: false } fromSource:
                    var existing = targets.GetValueOrDefault(transfer.Id)?.Find(fromSource.Instance.Version);
                    if (existing is { IsPartial: true } or { IsPending: true })
                    {
                        return Refuse(set, notes, $"Failed to acquire '{UntrustedText.Escape(fromSource.Instance.Path)}', instance is already partial or pending in the target.");
                    }

                    steps[transfer.Id] = existing is not null
                        ? new KeepInstalled(transfer.Id, existing)
                        : new AcquireFromSource(transfer.Id, fromSource.Instance, CompileMetadata(transfer, fromSource));
                    break;
                case var installed:
                    steps[transfer.Id] = new KeepInstalled(transfer.Id, installed.Instance);
                    break;
            }
        }

        return new UpdateSteps(StepDecision.Proceed, set, notes, steps);
    }

    /// <summary>`update --offline [VERSION]`: install what an earlier acquire left pending, nothing else.</summary>
    public static UpdateSteps PlanInstallPending(UpdatePlan plan, string? version, IReadOnlyList<TransferDefinition> transfers)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(transfers);
        var notes = new List<StepNote>();
        if (Select(plan, version, notes, out var refusal) is not { } set)
        {
            return refusal is null ? Nothing(notes) : Refuse(null, notes, refusal);
        }

        if ((set.Flags & (UpdateSetFlags.Partial | UpdateSetFlags.Pending | UpdateSetFlags.Installed | UpdateSetFlags.Incomplete)) == UpdateSetFlags.Installed)
        {
            notes.Add(StepNote.AlreadyInstalled);
            return new UpdateSteps(StepDecision.AlreadyInstalled, set, notes, Empty);
        }

        if (set.Has(UpdateSetFlags.Partial))
        {
            return Refuse(set, notes, $"Selected update '{set.Version}' is only partially downloaded, refusing.");
        }

        if (!set.Has(UpdateSetFlags.Pending))
        {
            return Refuse(set, notes, $"Selected update '{set.Version}' is not pending installation, refusing.");
        }

        if (transfers.FirstOrDefault(t => set.For(t.Id) is not { InTarget: true }) is { } missing)
        {
            return Refuse(set, notes, $"Selected update '{set.Version}' is only partly acquired (transfer '{missing.Id}' is missing); run 'acquire' or 'update' to complete it.");
        }

        if (set.Has(UpdateSetFlags.Obsolete))
        {
            return Refuse(set, notes, $"Selected update '{set.Version}' is obsolete, refusing.");
        }

        NoteSelection(plan, set, notes);
        var steps = new Dictionary<string, TransferStep>(StringComparer.Ordinal);
        foreach (var transfer in transfers)
        {
            var member = set.For(transfer.Id)!;
            steps[transfer.Id] = member.Instance.IsPending
                ? new InstallPending(transfer.Id, member.Instance, CompileMetadata(transfer, member))
                : new KeepInstalled(transfer.Id, member.Instance);
        }

        return new UpdateSteps(StepDecision.Proceed, set, notes, steps);
    }

    /// <summary>
    /// The values a new instance's name and attributes get (sysupdate's compile_pattern_fields):
    /// explicit settings first, then what the source carries; a tarball keeps its own mtime and mode.
    /// </summary>
    public static InstanceMetadata CompileMetadata(TransferDefinition transfer, SetInstance source)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        ArgumentNullException.ThrowIfNull(source);
        var target = transfer.Target;
        var m = source.Instance.Metadata;
        var fromTar = transfer.Source.Type is ResourceType.Tar or ResourceType.UrlTar && !source.InTarget;
        return new InstanceMetadata
        {
            Version = m.Version,
            PartitionUuid = target.PartitionUuid ?? m.PartitionUuid,
            PartitionFlags = target.PartitionFlags ?? m.PartitionFlags,
            ModificationTimeUsec = fromTar ? null : m.ModificationTimeUsec,
            Mode = target.Mode ?? (fromTar ? null : m.Mode),
            Size = m.Size,
            TriesDone = target.TriesDone ?? m.TriesDone ?? 0,
            TriesLeft = target.TriesLeft ?? m.TriesLeft ?? 3,
            NoAuto = target.PartitionNoAuto ?? m.NoAuto,
            ReadOnly = target.ReadOnly ?? m.ReadOnly,
            GrowFileSystem = target.PartitionGrowFileSystem ?? m.GrowFileSystem,
            Sha256 = m.Sha256,
        };
    }

    private static readonly IReadOnlyDictionary<string, TransferStep> Empty = new Dictionary<string, TransferStep>();

    private static UpdateSet? Select(UpdatePlan plan, string? version, List<StepNote> notes, out string? refusal)
    {
        refusal = null;
        if (version is not null)
        {
            var found = plan.Find(version);
            if (found is null)
            {
                refusal = $"Update '{UntrustedText.Escape(version)}' not found.";
            }

            return found;
        }

        if (plan.Candidate is null)
        {
            notes.Add(StepNote.NoUpdateNeeded);
        }

        return plan.Candidate;
    }

    /// <summary>The warnings of a set that is not the newest, then the selection itself.</summary>
    private static void NoteSelection(UpdatePlan plan, UpdateSet set, List<StepNote> notes)
    {
        if (!set.Has(UpdateSetFlags.Newest))
        {
            notes.Add(StepNote.NotNewest);
        }

        if (plan.NewestInstalled is { } newest && VersionComparer.CompareVersions(newest.Version, set.Version) > 0)
        {
            notes.Add(StepNote.OlderThanNewestInstalled);
        }

        notes.Add(StepNote.Selected);
    }

    private static UpdateSteps Nothing(List<StepNote> notes) => new(StepDecision.NothingToDo, null, notes, Empty);

    private static UpdateSteps Refuse(UpdateSet? set, List<StepNote> notes, string refusal) => new(StepDecision.Refused, set, notes, Empty, refusal);
}
