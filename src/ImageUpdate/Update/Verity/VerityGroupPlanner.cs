using System.Collections.Immutable;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;

namespace ImageUpdate.Update.Verity;

/// <summary>
/// Finds the <see cref="VerityGroup"/>s among a component's transfers, from their definitions alone
/// (pure): a partition target of a root or /usr type (MatchPartitionType=, any architecture) and one
/// of the matching <c>-verity</c> type make a group; one of the matching <c>-verity-sig</c> type joins
/// it; every regular-file transfer into the boot partitions (PathRelativeTo=esp, xbootldr or boot)
/// whose target pattern names an <c>.efi</c> file joins every group as a possible carrier of the root
/// hash. A data partition without a hash partition is no verity partition and forms no group, and
/// neither does a pair without a signature partition or a boot entry (nothing could sign its root hash).
/// Two transfers of one role and type are ambiguous, and the definitions are refused.
/// </summary>
public static class VerityGroupPlanner
{
    private const string HashSuffix = "-verity";
    private const string SignatureSuffix = "-verity-sig";

    public static IReadOnlyList<VerityGroup> Plan(IEnumerable<TransferDefinition> transfers)
    {
        ArgumentNullException.ThrowIfNull(transfers);
        var (data, hash, signature, bootEntries) = Sort(transfers);
        var groups = new List<VerityGroup>();
        foreach (var (key, dataTransfers) in data.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            if (!hash.TryGetValue(key, out var hashTransfers))
            {
                continue;
            }

            var signatureTransfers = signature.GetValueOrDefault(key) ?? [];
            if (signatureTransfers.Count == 0 && bootEntries.Count == 0)
            {
                continue; // nothing of the version can carry a signed root hash (systemd's TEST-72 v252 set)
            }

            var commandLineKey = key.StartsWith("usr", StringComparison.Ordinal) ? "usrhash" : "roothash";
            groups.Add(new VerityGroup(key, commandLineKey, Single(dataTransfers, key), Single(hashTransfers, key + HashSuffix),
                signatureTransfers.Count == 0 ? null : Single(signatureTransfers, key + SignatureSuffix), bootEntries.ToImmutable()));
        }

        return groups;
    }

    /// <summary>
    /// The halves of verity pairs among the <paramref name="enabled"/> transfers whose other half is
    /// among the <paramref name="disabled"/> ones (and not enabled too), where the enabled transfers
    /// could carry a signed root hash (a signature partition of the type, or a boot entry). Such a
    /// version cannot be checked, and at boot its root hash (if signed) names a partition it lacks.
    /// </summary>
    public static IReadOnlyList<UnpairedVerityPartition> Unpaired(IEnumerable<TransferDefinition> enabled, IEnumerable<TransferDefinition> disabled)
    {
        ArgumentNullException.ThrowIfNull(enabled);
        ArgumentNullException.ThrowIfNull(disabled);
        var (data, hash, signature, bootEntries) = Sort(enabled);
        var (offData, offHash, _, _) = Sort(disabled);
        var unpaired = new List<UnpairedVerityPartition>();
        foreach (var (present, absent, off, role) in new[] { (data, hash, offHash, "hash"), (hash, data, offData, "data") })
        {
            foreach (var (key, transfers) in present.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                if (!absent.ContainsKey(key) && off.TryGetValue(key, out var missing) && (signature.ContainsKey(key) || bootEntries.Count > 0))
                {
                    unpaired.Add(new UnpairedVerityPartition(key, transfers[0].Id, missing[0].Id, role));
                }
            }
        }

        return unpaired;
    }

    /// <summary>The partition transfers by verity role and data type name, and the boot entries.</summary>
    private static (Dictionary<string, List<TransferDefinition>> Data, Dictionary<string, List<TransferDefinition>> Hash, Dictionary<string, List<TransferDefinition>> Signature, ImmutableArray<string>.Builder BootEntries) Sort(IEnumerable<TransferDefinition> transfers)
    {
        var data = new Dictionary<string, List<TransferDefinition>>(StringComparer.Ordinal);
        var hash = new Dictionary<string, List<TransferDefinition>>(StringComparer.Ordinal);
        var signature = new Dictionary<string, List<TransferDefinition>>(StringComparer.Ordinal);
        var bootEntries = ImmutableArray.CreateBuilder<string>();
        foreach (var transfer in transfers)
        {
            var target = transfer.Target;
            if (IsBootEntry(target))
            {
                bootEntries.Add(transfer.Id);
                continue;
            }

            if (target.Type != ResourceType.Partition || target.MatchPartitionType is not { } type
                || PartitionTypeTraits.Kind(type) is not { } kind || PartitionType.NameOf(type) is not { } name)
            {
                continue;
            }

            var (role, key) = kind switch
            {
                "root" or "usr" => (data, name),
                "root-verity" or "usr-verity" => (hash, name[..^HashSuffix.Length]),
                "root-verity-sig" or "usr-verity-sig" => (signature, name[..^SignatureSuffix.Length]),
                _ => (null, name),
            };

            if (role is null)
            {
                continue;
            }

            if (!role.TryGetValue(key, out var list))
            {
                role[key] = list = [];
            }

            list.Add(transfer);
        }

        return (data, hash, signature, bootEntries);
    }

    private static string Single(List<TransferDefinition> transfers, string type) =>
        transfers.Count == 1
            ? transfers[0].Id
            : throw new ConfigurationException($"Transfers '{transfers[0].Id}' and '{transfers[1].Id}' both write partitions of type {type}: which verity partitions belong together is ambiguous.");

    /// <summary>A UKI (or any EFI binary) in the boot partitions: it may carry the root hash on its command line.</summary>
    private static bool IsBootEntry(TargetDefinition target) =>
        target.Type == ResourceType.RegularFile
        && target.PathRelativeTo is PathRelativeTo.Esp or PathRelativeTo.Xbootldr or PathRelativeTo.Boot
        && target.Patterns.First.Text.EndsWith(".efi", StringComparison.OrdinalIgnoreCase);
}
