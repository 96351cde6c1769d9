using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Planning;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Update.Engine;

public sealed partial class UpdateEngine
{
    /// <summary>The definitions of one run, their resources resolved and (as asked) their instances loaded.</summary>
    private sealed record LoadedContext(
        DefinitionSet Definitions,
        IReadOnlyList<TransferRuntime> Enabled,
        IReadOnlyList<TransferRuntime> Disabled,
        UpdatePlan Plan,
        IReadOnlySet<string> ProtectedVersions,
        IReadOnlySet<string> RememberedBad)
    {
        public IEnumerable<TransferRuntime> All => Enabled.Concat(Disabled);
    }

    /// <summary>Definitions and targets only: what offline verbs (vacuum, pending) need.</summary>
    private async Task<LoadedContext> LoadOfflineAsync(bool requireEnabled, CancellationToken cancellationToken)
    {
        var context = Resolve(requireEnabled, requireAny: true);
        var enabled = new List<TransferRuntime>();
        foreach (var transfer in context.Enabled)
        {
            enabled.Add(transfer with { TargetInventory = await transfer.Target.LoadAsync(cancellationToken).ConfigureAwait(false) });
        }

        var disabled = new List<TransferRuntime>();
        foreach (var transfer in context.Disabled)
        {
            disabled.Add(transfer with { TargetInventory = await transfer.Target.LoadAsync(cancellationToken).ConfigureAwait(false) });
        }

        var rememberedBad = await LoadRememberedBadAsync(enabled.Concat(disabled), cancellationToken).ConfigureAwait(false);
        return context with { Enabled = enabled, Disabled = disabled, Plan = Plan(enabled, online: false, rememberedBad), RememberedBad = rememberedBad };
    }

    /// <summary>The definitions with their resources resolved, nothing loaded yet (what features needs).</summary>
    private LoadedContext Resolve(bool requireEnabled, bool requireAny)
    {
        var definitions = HostFacts.LoadDefinitions(_options, _logger);
        var enabled = new List<TransferRuntime>();
        var disabled = new List<TransferRuntime>();
        var resolver = new TransferResolver(
            new ResolverSettings(_options.Root, _options.TransferSource, _options.Image, _options.ImageTimestamp, _options.Sync, _options.Environment.BootPartitions),
            _logger,
            _services.Btrfs,
            UrlSource,
            _sources);
        foreach (var transfer in definitions.Transfers)
        {
            var runtime = Resolve(resolver, transfer, definitions.IsEnabled(transfer));
            (runtime.Enabled ? enabled : disabled).Add(runtime);
        }

        if (requireAny && enabled.Count + (requireEnabled ? 0 : disabled.Count) == 0)
        {
            throw new UpdateException(_options.Component is { } component
                ? $"No transfer definitions for component '{UntrustedText.Escape(component)}' found."
                : "No transfer definitions found.");
        }

        var protectedVersions = definitions.Transfers.SelectMany(t => t.ProtectVersions).ToHashSet(StringComparer.Ordinal);
        return new LoadedContext(definitions, enabled, disabled, new UpdatePlan([], null, null), protectedVersions, new HashSet<string>());
    }

    /// <summary>Versions the targets remember as bad though their copies are gone.</summary>
    private static async Task<HashSet<string>> LoadRememberedBadAsync(IEnumerable<TransferRuntime> transfers, CancellationToken cancellationToken)
    {
        var bad = new HashSet<string>(StringComparer.Ordinal);
        foreach (var transfer in transfers)
        {
            bad.UnionWith(await transfer.Target.RememberedBadAsync(cancellationToken).ConfigureAwait(false));
        }

        return bad;
    }

    /// <summary>Also what the sources offer (unless --offline): what list, check-new and update need.</summary>
    private async Task<LoadedContext> LoadOnlineAsync(bool requireEnabled, CancellationToken cancellationToken)
    {
        var context = await LoadOfflineAsync(requireEnabled, cancellationToken).ConfigureAwait(false);
        if (_options.Offline)
        {
            return context;
        }

        var enabled = new List<TransferRuntime>();
        foreach (var transfer in context.Enabled)
        {
            enabled.Add(transfer with { SourceInventory = await transfer.Source.LoadAsync(cancellationToken).ConfigureAwait(false) });
        }

        return context with { Enabled = enabled, Plan = Plan(enabled, online: true, context.RememberedBad) };
    }

    private static UpdatePlan Plan(IReadOnlyList<TransferRuntime> enabled, bool online, IReadOnlySet<string> rememberedBad) => UpdateSetPlanner.Discover(
        enabled.Select(t => new TransferInventory(t.Id, t.SourceInventory, t.TargetInventory, t.Definition.MinVersion, t.Definition.MaxVersion, t.Definition.ProtectVersions)).ToList(),
        offline: !online,
        rememberedBad);

    private TransferRuntime Resolve(TransferResolver resolver, TransferDefinition transfer, bool enabled)
    {
        var resolved = resolver.Resolve(transfer);
        return new TransferRuntime(transfer, enabled, resolved.Source, resolved.Target, resolved.SourcePath, resolved.TargetPath);
    }
}
