using ImageUpdate.Formats.Verity;

namespace ImageUpdate.Update.Verity;

/// <summary>
/// Runs <see cref="VerityCheck"/> for every <see cref="VerityGroup"/> of a version that this run
/// wrote a copy of, once all of the version's transfers are written and before any of those copies
/// becomes pending (the engine's acquire). The trust is loaded only when a group has a signature.
/// </summary>
public static class VerityGate
{
    /// <summary>What to check: one input per group with a copy written now and both its data and hash copies known (pure).</summary>
    public static IReadOnlyList<VerityCheckInput> Plan(IReadOnlyList<VerityGroup> groups, IReadOnlyDictionary<string, VerityCopy> copies)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(copies);
        var inputs = new List<VerityCheckInput>();
        foreach (var group in groups)
        {
            if (!group.Transfers.Any(t => copies.TryGetValue(t, out var c) && c.WrittenNow)
                || !copies.TryGetValue(group.DataTransfer, out var data) || !copies.TryGetValue(group.HashTransfer, out var hash))
            {
                continue;
            }

            var signature = group.SignatureTransfer is { } s && copies.TryGetValue(s, out var sig) ? sig.ToPart() : null;
            var entries = group.BootEntryTransfers.Where(copies.ContainsKey).Select(t => copies[t].ToPart()).ToList();
            inputs.Add(new VerityCheckInput(group, data.ToPart(), hash.ToPart(), signature, entries));
        }

        return inputs;
    }

    /// <summary>Checks each input in turn; the first failure throws (a <c>VerificationException</c> or <c>VerityException</c>).</summary>
    public static async Task<IReadOnlyList<(VerityGroup Group, VerityVerification? Result)>> CheckAsync(IReadOnlyList<VerityCheckInput> inputs, Func<VerityTrust> trust, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(trust);
        VerityTrust? loaded = null;
        var results = new List<(VerityGroup, VerityVerification?)>();
        foreach (var input in inputs)
        {
            var used = input.Signature is null ? new VerityTrust([], "") : (loaded ??= trust());
            results.Add((input.Group, await VerityCheck.CheckAsync(input, used, cancellationToken).ConfigureAwait(false)));
        }

        return results;
    }
}
