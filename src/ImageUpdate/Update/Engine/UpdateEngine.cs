using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Planning;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Update.Transfers;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Engine;

/// <summary>
/// The sysupdate verbs over loaded definitions: list, check-new, acquire/update, vacuum, pending,
/// features. Loading is split as sysupdate splits it (offline: definitions and targets; online: also
/// the sources), planning is delegated to <see cref="UpdateSetPlanner"/> and
/// <see cref="VacuumPlanner"/>, and every write goes through a transfer's target.
/// </summary>
public sealed partial class UpdateEngine
{
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly IUpdateObserver _observer;
    private readonly Func<TransferDefinition, Transfers.ISourceResource>? _sources;
    private readonly bool _lockHeld;
    private readonly EngineServices _services;
    private bool _warnedUnresolvedProtection;

    public UpdateEngine(EngineOptions options, ILogger logger, IUpdateObserver? observer = null, EngineServices? services = null)
    {
        _options = options;
        _logger = logger;
        _observer = observer ?? IUpdateObserver.None;
        _services = services ?? EngineServices.Default;
    }

    /// <summary>
    /// An engine whose transfers all read from <paramref name="sources"/> instead of their own
    /// [Source] (the staging flow: a verified snapshot), run by a caller that already holds the lock.
    /// </summary>
    internal UpdateEngine(EngineOptions options, ILogger logger, IUpdateObserver? observer, Func<TransferDefinition, Transfers.ISourceResource> sources, EngineServices? services = null)
        : this(options, logger, observer, services)
    {
        _sources = sources;
        _lockHeld = true;
    }

    private IDisposable? TakeLock() => _lockHeld ? null : UpdateLock.Take(_options);

    public async Task<ListResult> ListAsync(CancellationToken cancellationToken)
    {
        var context = await LoadOnlineAsync(requireEnabled: true, cancellationToken).ConfigureAwait(false);
        var appstream = context.Enabled.SelectMany(t => t.Definition.AppStream).Distinct().ToList();
        return new ListResult(context.Plan, appstream);
    }

    public async Task<VersionDetails> DescribeAsync(string version, CancellationToken cancellationToken)
    {
        var context = await LoadOnlineAsync(requireEnabled: true, cancellationToken).ConfigureAwait(false);
        var set = context.Plan.Find(version) ?? throw new UpdateException($"Update '{UntrustedText.Escape(version)}' not found.");
        var rows = new List<ResourceRow>();
        foreach (var transfer in context.Enabled)
        {
            if (set.For(transfer.Id) is { } member)
            {
                var type = member.InTarget ? transfer.Definition.Target.Type : transfer.Definition.Source.Type;
                rows.Add(new ResourceRow(ResourceTypes.ToName(type), member.Instance));
            }
        }

        var changelog = context.Enabled
            .SelectMany(t => t.Definition.ChangeLog)
            .Select(url => url.Replace("@v", version, StringComparison.Ordinal))
            .Distinct()
            .ToList();
        var partitions = context.Enabled.Any(t => t.Definition.Target.Type == ResourceType.Partition);
        var fileSystems = context.Enabled.Any(t => t.Definition.Target.Type is ResourceType.RegularFile or ResourceType.Directory or ResourceType.Subvolume);
        return new VersionDetails(set, rows, changelog, partitions, fileSystems);
    }

    /// <summary>The version `update` would install, or null.</summary>
    public async Task<string?> CheckNewAsync(CancellationToken cancellationToken) =>
        (await LoadOnlineAsync(requireEnabled: true, cancellationToken).ConfigureAwait(false)).Plan.Candidate?.Version;

    /// <summary>
    /// `pending`: is a newer version than the booted one (IMAGE_VERSION) installed? Only a version whose
    /// every copy is final counts: an acquired (pending) copy is not bootable until installed.
    /// </summary>
    public async Task<PendingResult> PendingAsync(CancellationToken cancellationToken)
    {
        var booted = BootedVersion(_options) ?? throw new UpdateException($"{OsReleaseName} lacks IMAGE_VERSION field.");
        var context = await LoadOfflineAsync(requireEnabled: true, cancellationToken).ConfigureAwait(false);
        // A bad version (the boot loader gave up on it) is not one to reboot into.
        var newest = context.Plan.Sets
            .FirstOrDefault(s => s.Has(UpdateSetFlags.Installed) && (s.Flags & (UpdateSetFlags.Partial | UpdateSetFlags.Pending | UpdateSetFlags.Bad)) == 0)?.Version
            ?? throw new UpdateException("Couldn't find any suitable installed versions.");
        var order = VersionComparer.CompareVersions(newest, booted);
        if (order > 0)
        {
            _logger.LogInformation("Newest installed version '{Newest}' is newer than booted version '{Booted}'. Reboot recommended.", newest, booted);
        }
        else if (order == 0)
        {
            _logger.LogInformation("Newest installed version '{Newest}' matches booted version '{Booted}'.", newest, booted);
        }
        else
        {
            _logger.LogInformation("Newest installed version '{Newest}' is older than booted version '{Booted}'.", newest, booted);
        }

        return new PendingResult(order > 0, newest, booted);
    }

    /// <summary>`reboot`: <see cref="PendingAsync"/>, then the services' reboot when a newer version is installed.</summary>
    public async Task<PendingResult> RebootIfPendingAsync(CancellationToken cancellationToken)
    {
        var pending = await PendingAsync(cancellationToken).ConfigureAwait(false);
        if (pending.IsPending)
        {
            await _services.Rebooter.RebootAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return pending;
    }

    /// <summary>`features NAME`: the one (unmasked) feature of that name.</summary>
    public FeatureRow Feature(string name) =>
        Features().FirstOrDefault(f => f.Name == name)
            ?? throw new UpdateException($"Optional feature not found: {UntrustedText.Escape(name)}");

    public IReadOnlyList<FeatureRow> Features()
    {
        var context = Resolve(requireEnabled: false, requireAny: true);
        return context.Definitions.Features.Values
            .Where(f => !f.Masked)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => new FeatureRow(
                f.Name,
                f.Enabled,
                f.Description,
                f.Documentation,
                f.AppStream,
                context.All.Where(t => t.Definition.Features.Contains(f.Name) || t.Definition.RequisiteFeatures.Contains(f.Name)).Select(t => t.Id).ToList())
            {
                Suggested = f.Suggestion.IsSuggested(Facts),
            })
            .ToList();
    }

    public async Task<VacuumResult> VacuumAsync(CancellationToken cancellationToken)
    {
        if (_options.InstancesMax is < 1)
        {
            throw new UsageException("The --instances-max= argument must be >= 1 while vacuuming.");
        }

        using var guard = TakeLock();
        var context = await LoadOfflineAsync(requireEnabled: false, cancellationToken).ConfigureAwait(false);
        return await VacuumAllAsync(context, space: 0, extraProtected: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes what the vacuum plan names. Cancellation is checked once, before the first removal: once
    /// started, removals run to the end (a kill mid-way is what the crash states cover, a cancel is not
    /// one), so no mtools command of a FAT target is interrupted half-way by a SIGINT.
    /// </summary>
    private async Task<VacuumResult> VacuumAllAsync(LoadedContext context, int space, string? extraProtected, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        WarnUnresolvedProtection(context);
        _logger.LogInformation(space == 0 ? "Making room…" : "Making room for {Space} updates…", space);
        var count = 0;
        var removed = new HashSet<Model.Resources.Instance>();
        foreach (var transfer in context.Enabled)
        {
            // Nothing will be written to a target that already holds the version being acquired.
            if (extraProtected is not null && transfer.TargetInventory.Find(extraProtected) is not null)
            {
                continue;
            }

            count = Math.Max(count, await VacuumTransferAsync(context, transfer, space, extraProtected, removed).ConfigureAwait(false));
        }

        var disabled = 0;
        foreach (var transfer in context.Disabled)
        {
            if (await VacuumTransferAsync(context, transfer, VacuumPlanner.WipeAll, null, removed).ConfigureAwait(false) > 0)
            {
                disabled++;
            }
        }

        if (count > 0 && disabled > 0)
        {
            _logger.LogInformation("Removed {Count} instances, and {Disabled} disabled transfers.", count, disabled);
        }
        else if (count > 0)
        {
            _logger.LogInformation("Removed {Count} instances.", count);
        }
        else if (disabled > 0)
        {
            _logger.LogInformation("Removed {Disabled} disabled transfers.", disabled);
        }
        else
        {
            _logger.LogInformation("Found nothing to remove.");
        }

        PruneIndexCache(context, removed, extraProtected);
        return new VacuumResult(count, disabled);
    }

    /// <summary>
    /// ProtectVersion=%A on a host without IMAGE_VERSION= protects nothing: said once, by the verbs
    /// that delete, before they choose what to remove (the loader only records it).
    /// </summary>
    private void WarnUnresolvedProtection(LoadedContext context)
    {
        if (_warnedUnresolvedProtection || context.Definitions.Transfers.FirstOrDefault(t => t.UnresolvedProtectVersion is not null) is not { } transfer)
        {
            return;
        }

        _warnedUnresolvedProtection = true;
        _logger.LogWarning(
            "ProtectVersion={Value} expands to nothing here (no IMAGE_VERSION= in os-release): no version is protected from removal.",
            UntrustedText.Escape(transfer.UnresolvedProtectVersion!));
    }

    private async Task<int> VacuumTransferAsync(LoadedContext context, TransferRuntime transfer, int space, string? extraProtected, HashSet<Model.Resources.Instance> removed)
    {
        await transfer.Target.RemoveTemporariesAsync(CancellationToken.None).ConfigureAwait(false);
        var removals = PlanRemovals(context, transfer, space, extraProtected);
        foreach (var removal in removals)
        {
            var what = removal.Reason switch
            {
                RemovalReason.Partial => "old partial",
                RemovalReason.Pending => "old pending",
                RemovalReason.Disabled => "disabled",
                RemovalReason.Bad => "bad",
                _ => "old",
            };
            _logger.LogInformation("Removing {What} '{Path}' ({Type}).", what, removal.Instance.Path, ResourceTypes.ToName(transfer.Definition.Target.Type));
            if (removal.Reason == RemovalReason.Bad)
            {
                // Remembered first: a kill between the two leaves the memory, never a forgotten verdict.
                await transfer.Target.RememberBadAsync(removal.Instance.Version, CancellationToken.None).ConfigureAwait(false);
            }

            await transfer.Target.RemoveAsync(removal.Instance, CancellationToken.None).ConfigureAwait(false);
            removed.Add(removal.Instance);
        }

        return removals.Count;
    }

    /// <summary>What making room removes from one transfer's target (pure: the plan <see cref="VacuumTransferAsync"/> and the size check before it share).</summary>
    private IReadOnlyList<Removal> PlanRemovals(LoadedContext context, TransferRuntime transfer, int space, string? extraProtected) =>
        VacuumPlanner.Plan(
            transfer.TargetInventory,
            _options.InstancesMax ?? transfer.Definition.Target.InstancesMax,
            space,
            version => context.ProtectedVersions.Contains(version) || version == extraProtected,
            transfer.Definition.Target.Type == ResourceType.Partition ? new SlotTable(PartitionTypeDescription(transfer.Definition.Target)) : null,
            version => context.Plan.Find(version)?.Has(UpdateSetFlags.Bad) == true);

    private static string PartitionTypeDescription(TargetDefinition target)
    {
        var type = target.MatchPartitionType ?? Guid.Empty;
        var name = Formats.Gpt.PartitionType.NameOf(type);
        return name is null ? type.ToString() : $"{type} ({name}) and matching the expected pattern '{string.Join('|', target.Patterns.Patterns.Select(p => p.Text))}'";
    }

    /// <summary>`keys list`: the keys signatures are checked against, and where they were read from.</summary>
    public (string Origin, IReadOnlyList<Formats.Verification.KeyInfo> Keys) TrustedKeys()
    {
        var keyring = LoadKeyring();
        return (keyring.Origin, keyring.Keys);
    }

    private Formats.Verification.Keyring LoadKeyring() => HostFacts.LoadKeyring(_options, _logger);

    private string OsReleaseName => _options.IsRooted ? Path.Join(_options.Root, "etc/os-release") : "/etc/os-release";

    /// <summary>IMAGE_VERSION= of the os-release under the root: the booted version.</summary>
    public static string? BootedVersion(EngineOptions options) => HostFacts.ImageVersion(options.Root);

    /// <summary>`enable-feature` / `disable-feature` of several: refused with --definitions (the drop-ins go under /etc).</summary>
    public void SetFeaturesEnabled(IReadOnlyList<string> names, bool enable)
    {
        if (_options.DefinitionsDirectory is not null)
        {
            throw new UsageException($"The --definitions= switch may not be combined with '{(enable ? "enable-feature" : "disable-feature")}'.");
        }

        foreach (var name in names)
        {
            SetFeatureEnabled(name, enable);
        }
    }

    /// <summary>`enable-feature` / `disable-feature`: a drop-in under /etc that overrides Enabled=.</summary>
    public void SetFeatureEnabled(string name, bool enable)
    {
        using var guard = TakeLock();
        HostFacts.SetFeatureEnabled(_options, name, enable, _logger);
        _logger.LogInformation("Feature '{Name}' {State}.", name, enable ? "enabled" : "disabled");
    }

    /// <summary>`components`: whether a default (component-less) set exists, and the named components.</summary>
    public (bool HasDefault, IReadOnlyList<string> Names) Components() => HostFacts.ListComponents(_options);

    /// <summary>How many transfers the definitions have, enabled and disabled (systemd-sysupdate's n_transfers and n_disabled_transfers).</summary>
    public (int Enabled, int Disabled) TransferCounts()
    {
        var context = Resolve(requireEnabled: false, requireAny: false);
        return (context.Enabled.Count, context.Disabled.Count);
    }

    private void SyncIfAsked()
    {
        if (_options.Sync)
        {
            Durability.SyncAll();
        }
    }
}
