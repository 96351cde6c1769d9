namespace ImageUpdate.Model.Definitions;

/// <summary>
/// Every transfer (enabled or not, sorted by file name) and every feature of one component (null:
/// the default set, sysupdate.d).
/// </summary>
public sealed record DefinitionSet(
    IReadOnlyList<TransferDefinition> Transfers,
    IReadOnlyDictionary<string, FeatureDefinition> Features,
    string? Component)
{
    /// <summary>What was logged and ignored while loading (see <see cref="DefinitionLoadOptions.WarningsAreErrors"/>).</summary>
    public IReadOnlyList<ConfigurationWarning> Warnings { get; init; } = [];

    /// <summary>The transfers <see cref="IsEnabled"/> accepts, in order.</summary>
    public IEnumerable<TransferDefinition> EnabledTransfers => Transfers.Where(IsEnabled);

    /// <summary>
    /// transfer_decide_if_enabled: every RequisiteFeatures= entry must be enabled, and then the transfer
    /// is enabled when Features= is empty or names at least one enabled feature. A feature without a
    /// .feature file, or a masked one, counts as disabled.
    /// </summary>
    public bool IsEnabled(TransferDefinition transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        if (!transfer.RequisiteFeatures.All(FeatureIsEnabled))
        {
            return false;
        }

        return transfer.Features.Count == 0 || transfer.Features.Any(FeatureIsEnabled);
    }

    /// <summary>Whether a feature exists, is not masked, and is enabled.</summary>
    public bool FeatureIsEnabled(string name) =>
        Features.TryGetValue(name, out var feature) && !feature.Masked && feature.Enabled;

    /// <summary>The transfers that list a feature in Features= or RequisiteFeatures= (for `features NAME`).</summary>
    public IEnumerable<TransferDefinition> TransfersOf(string feature) =>
        Transfers.Where(t => t.Features.Contains(feature) || t.RequisiteFeatures.Contains(feature));
}
