using ImageUpdate.Formats.Verity;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Update.Verity;

/// <summary>
/// Runs <see cref="VerityCheck"/> for every <see cref="VerityGroup"/> of a version that this run
/// writes a copy of, once all of the version's transfers are written and before any of those copies
/// becomes pending (the engine's acquire). What can be refused without reading a payload is refused
/// before anything is written (<see cref="Prepare"/>): a group whose data or hash transfer is disabled,
/// and a trust that cannot be loaded.
/// </summary>
public static class VerityGate
{
    /// <summary>
    /// Before the version's copies are written: refuses a verity pair one half of which is disabled
    /// while the other is written now (<see cref="VerityGroupPlanner.Unpaired"/>: the data could not be
    /// checked, and a signed root hash would name a partition the version lacks at boot), then loads
    /// the trust, when a group written now has a signature partition (otherwise <see cref="VerityTrust.None"/>).
    /// </summary>
    /// <param name="acquired">The transfers this run writes a copy of.</param>
    public static VerityTrust Prepare(IReadOnlyList<VerityGroup> groups, IReadOnlyList<UnpairedVerityPartition> unpaired, IReadOnlySet<string> acquired, string version, Func<VerityTrust> load)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(unpaired);
        ArgumentNullException.ThrowIfNull(acquired);
        ArgumentNullException.ThrowIfNull(load);
        if (unpaired.FirstOrDefault(u => acquired.Contains(u.EnabledTransfer)) is { } half)
        {
            throw new ConfigurationException(
                $"Verity partition {half.Name} of '{UntrustedText.Escape(version)}' cannot be checked before it becomes bootable: its {half.DisabledRole} transfer '{half.DisabledTransfer}' is disabled while '{half.EnabledTransfer}' is enabled, refusing.");
        }

        return groups.Any(g => g.SignatureTransfer is not null && g.Transfers.Any(acquired.Contains)) ? load() : VerityTrust.None;
    }

    /// <summary>
    /// What to check: one input per group with a copy written now (pure). Such a group's data and hash
    /// copies must be known (the version's copies written now, pending or installed): without them the
    /// check cannot run, and the group is refused as a verification failure rather than skipped.
    /// </summary>
    public static IReadOnlyList<VerityCheckInput> Plan(IReadOnlyList<VerityGroup> groups, IReadOnlyDictionary<string, VerityCopy> copies)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(copies);
        var inputs = new List<VerityCheckInput>();
        foreach (var group in groups)
        {
            if (!group.Transfers.Any(t => copies.TryGetValue(t, out var c) && c.WrittenNow))
            {
                continue;
            }

            var data = Required(group, group.DataTransfer, "data", copies);
            var hash = Required(group, group.HashTransfer, "hash", copies);
            var signature = group.SignatureTransfer is { } s && copies.TryGetValue(s, out var sig) ? sig.ToPart() : null;
            var entries = group.BootEntryTransfers.Where(copies.ContainsKey).Select(t => copies[t].ToPart()).ToList();
            inputs.Add(new VerityCheckInput(group, data.ToPart(), hash.ToPart(), signature, entries));
        }

        return inputs;
    }

    /// <summary>Checks each input in turn; the first failure throws (a <c>VerificationException</c> or <c>VerityException</c>).</summary>
    public static async Task<IReadOnlyList<(VerityGroup Group, VerityVerification? Result)>> CheckAsync(IReadOnlyList<VerityCheckInput> inputs, VerityTrust trust, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(trust);
        var results = new List<(VerityGroup, VerityVerification?)>();
        foreach (var input in inputs)
        {
            results.Add((input.Group, await VerityCheck.CheckAsync(input, trust, cancellationToken).ConfigureAwait(false)));
        }

        return results;
    }

    private static VerityCopy Required(VerityGroup group, string transfer, string role, IReadOnlyDictionary<string, VerityCopy> copies) =>
        copies.TryGetValue(transfer, out var copy)
            ? copy
            : throw new VerificationException($"Verity partition {group.Name} cannot be checked: its {role} transfer '{transfer}' has no copy of this version, refusing.");
}
