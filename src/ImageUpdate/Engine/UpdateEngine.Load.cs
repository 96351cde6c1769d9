using ImageUpdate.Definitions;
using ImageUpdate.Errors;
using ImageUpdate.Planning;
using ImageUpdate.Transfers;

namespace ImageUpdate.Engine;

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

    /// <summary>Definitions and targets only: what offline verbs (vacuum, pending, features) need.</summary>
    private LoadedContext LoadOffline(bool requireEnabled, bool requireAny = true, bool loadInstances = true)
    {
        var definitions = HostFacts.LoadDefinitions(_options, _logger);
        var enabled = new List<TransferRuntime>();
        var disabled = new List<TransferRuntime>();
        var resolver = new TransferResolver(
            new ResolverSettings(_options.Root, _options.TransferSource, _options.Image, _options.ImageTimestamp, _options.Sync),
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
        if (!loadInstances)
        {
            return new LoadedContext(definitions, enabled, disabled, new UpdatePlan([], null, null), protectedVersions, new HashSet<string>());
        }

        enabled = enabled.Select(t => t with { TargetInventory = t.Target.Load() }).ToList();
        disabled = disabled.Select(t => t with { TargetInventory = t.Target.Load() }).ToList();
        var rememberedBad = LoadRememberedBad(enabled.Concat(disabled));
        return new LoadedContext(definitions, enabled, disabled, Plan(enabled, online: false, rememberedBad), protectedVersions, rememberedBad);
    }

    /// <summary>Versions the targets remember as bad though their copies are gone.</summary>
    private static HashSet<string> LoadRememberedBad(IEnumerable<TransferRuntime> transfers) =>
        transfers.SelectMany(t => t.Target.RememberedBad()).ToHashSet(StringComparer.Ordinal);

    /// <summary>Also what the sources offer (unless --offline): what list, check-new and update need.</summary>
    private async Task<LoadedContext> LoadOnlineAsync(bool requireEnabled, CancellationToken cancellationToken)
    {
        var context = LoadOffline(requireEnabled);
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
