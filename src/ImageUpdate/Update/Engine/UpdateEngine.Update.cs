using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Diagnostics;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Planning;
using ImageUpdate.Update.Delta;
using ImageUpdate.Update.Transfers;
using ImageUpdate.Update.Verity;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Engine;

/// <summary>Which halves of an update a verb runs.</summary>
[Flags]
public enum UpdateActions
{
    /// <summary>Vacuum, then write every transfer into a pending copy.</summary>
    Acquire = 1,

    /// <summary>Turn pending copies into final ones.</summary>
    Install = 2,

    /// <summary>`update`.</summary>
    All = Acquire | Install,
}

public sealed partial class UpdateEngine
{
    /// <summary>
    /// `update [VERSION]` (Acquire|Install), `acquire [VERSION]` (Acquire) and `update --offline`
    /// (Install): the sequence of sysupdate.md §3 "Acquire" and "Install".
    /// </summary>
    public async Task<UpdateResult> UpdateAsync(string? version, UpdateActions actions, CancellationToken cancellationToken)
    {
        if (_options.InstancesMax is < 2)
        {
            throw new UsageException("The --instances-max= argument must be >= 2 while updating.");
        }

        // A caller that asks for --reboot must have handed in a way to reboot: known before writing anything.
        if (_options.Reboot && ReferenceEquals(_services.Rebooter, IRebooter.Unavailable))
        {
            throw new InvalidOperationException("--reboot needs EngineServices.Rebooter: the caller gave the engine no way to reboot.");
        }

        // --reboot compares with the booted version: know it before changing anything (as sysupdate).
        var booted = _options.Reboot
            ? BootedVersion(_options) ?? throw new UpdateException($"{OsReleaseName} lacks IMAGE_VERSION field.")
            : null;

        using var guard = TakeLock();
        LoadedContext context;
        try
        {
            context = await LoadOnlineAsync(requireEnabled: true, cancellationToken).ConfigureAwait(false);
        }
        catch (UpdateException) when (_options.Cleanup == true && Resolve(requireEnabled: false, requireAny: false) is { Enabled.Count: 0, Disabled.Count: 0 } empty)
        {
            // As 262: with no transfer definitions left, --cleanup=yes still cleans up (every recorded
            // file is then an orphan), and the update fails as it would have.
            CleanupOrThrow(empty);
            throw;
        }

        // Held from the first write (making room) until the last one is synced, then released before
        // any reboot: a "block" inhibitor of our own would hold up the reboot we ask for.
        using var inhibitor = new ShutdownInhibition(_options.Image is null ? _services.ShutdownInhibitor : null);
        var (set, pending) = actions.HasFlag(UpdateActions.Acquire)
            ? await AcquireAsync(context, version, inhibitor, cancellationToken).ConfigureAwait(false)
            : SelectPending(context, version);

        if (set is null || pending is null)
        {
            if (version is null && actions.HasFlag(UpdateActions.Install))
            {
                RepairCurrentSymlinks(context);
            }

            CleanupIfAsked(context);
            return new UpdateResult(set is null ? UpdateOutcome.NothingToDo : UpdateOutcome.AlreadyInstalled, set?.Version);
        }

        if (!actions.HasFlag(UpdateActions.Install))
        {
            CleanupIfAsked(context);
            return new UpdateResult(UpdateOutcome.Acquired, set.Version);
        }

        await inhibitor.HoldAsync(cancellationToken).ConfigureAwait(false);

        // The install is one critical section: a cancel is honoured before it, never inside it, so
        // a SIGINT cannot leave one transfer final and the next pending (or stop an mtools rename).
        cancellationToken.ThrowIfCancellationRequested();
        var installed = await InstallAsync(context, set, pending, CancellationToken.None).ConfigureAwait(false);
        inhibitor.Dispose();
        CrashPoint.Hit("after-inhibitor-release");

        // As systemd-sysupdate 262: subscribers hear of it on the running system only, before any reboot.
        if (!_options.IsRooted && _options.Image is null)
        {
            await _services.Subscribers.NotifyAsync(new CompletedUpdate(_options.Component, set.Version, installed), cancellationToken).ConfigureAwait(false);
        }

        CleanupIfAsked(context);
        if (booted is not null)
        {
            await RebootIfNewerAsync(set, booted).ConfigureAwait(false);
        }

        return new UpdateResult(UpdateOutcome.Installed, set.Version);
    }

    /// <summary>--cleanup=yes: after update or acquire, whatever they did, the `cleanup` of the same component (262's context_update).</summary>
    private void CleanupIfAsked(LoadedContext context)
    {
        if (_options.Cleanup == true)
        {
            CleanupOrThrow(context);
        }
    }

    /// <summary>Logs what the step planner noted, then throws its refusal if it refused.</summary>
    private UpdateSteps Decide(UpdateSteps steps)
    {
        var version = steps.Set?.Version;
        foreach (var note in steps.Notes)
        {
            switch (note)
            {
                case StepNote.NoUpdateNeeded:
                    _logger.LogInformation("No update needed.");
                    break;
                case StepNote.Repairing:
                    _logger.LogInformation("Selected update '{Version}' is already installed, but incomplete. Repairing.", version);
                    break;
                case StepNote.AlreadyPending:
                    _logger.LogInformation("Selected update '{Version}' is already acquired and pending installation.", version);
                    break;
                case StepNote.AlreadyInstalled:
                    _logger.LogInformation("Selected update '{Version}' is already installed. Skipping update.", version);
                    break;
                case StepNote.NotNewest:
                    _logger.LogWarning("Selected update '{Version}' is not the newest, proceeding anyway.", version);
                    break;
                case StepNote.OlderThanNewestInstalled:
                    _logger.LogWarning("Selected update '{Version}' is older than newest installed version, proceeding anyway.", version);
                    break;
                case StepNote.Selected:
                    _logger.LogInformation("Selected update '{Version}' for install.", version);
                    break;
            }
        }

        return steps.Decision == StepDecision.Refused ? throw new UpdateException(steps.Refusal!) : steps;
    }

    private static IReadOnlyList<TransferDefinition> Definitions(LoadedContext context) => context.Enabled.Select(t => t.Definition).ToList();

    private async Task<(UpdateSet? Set, IReadOnlyDictionary<string, PendingCopy>? Pending)> AcquireAsync(LoadedContext context, string? version, ShutdownInhibition inhibitor, CancellationToken cancellationToken)
    {
        var steps = Decide(StepPlanner.PlanAcquire(
            context.Plan,
            version,
            Definitions(context),
            context.Enabled.ToDictionary(t => t.Id, t => t.TargetInventory, StringComparer.Ordinal)));
        if (steps.Decision != StepDecision.Proceed)
        {
            return (steps.Set, null);
        }

        var set = steps.Set!;

        // Every name is computed and validated before anything is deleted (systemd #40658).
        var pendingCopies = new Dictionary<string, PendingCopy>(StringComparer.Ordinal);
        var prepared = new Dictionary<string, PreparedTarget>(StringComparer.Ordinal);
        foreach (var transfer in context.Enabled)
        {
            switch (steps.For(transfer.Id))
            {
                case InstallPending pending:
                    pendingCopies[transfer.Id] = Adopt(transfer, pending);
                    break;
                case AcquireFromSource acquire:
                    prepared[transfer.Id] = transfer.Target.Prepare(acquire.Metadata);
                    break;
                default:
                    break; // Already installed in this target.
            }
        }

        if (!steps.Acquires)
        {
            return (set, pendingCopies);
        }

        // The copies of a verity group are written but held back from pending until the group passed its
        // check; what can be refused without reading them (a disabled half, an unreadable trust) is
        // refused before anything is touched.
        var verityGroups = VerityGroupPlanner.Plan(Definitions(context));
        var verityTrust = VerityGate.Prepare(
            verityGroups,
            VerityGroupPlanner.Unpaired(Definitions(context), context.Disabled.Select(t => t.Definition)),
            prepared.Keys.ToHashSet(StringComparer.Ordinal),
            set.Version,
            () => VerityTrust.Load(_options.Root, _logger, _options.VerityCertificates));

        // Every payload of known size against its target's room, before making room or any write.
        await PreflightAsync(context, steps, set.Version, prepared, cancellationToken).ConfigureAwait(false);

        await inhibitor.HoldAsync(cancellationToken).ConfigureAwait(false);
        _observer.OnStatus(set.Version, $"Making room for '{set.Version}'.");
        // What earlier attempts left of a file target is held open across the vacuum, to seed the rebuild.
        using var leftovers = await HoldLeftoverCopiesAsync(context, steps, cancellationToken).ConfigureAwait(false);
        var vacuum = await VacuumAllAsync(context, space: 1, extraProtected: set.Version, cancellationToken).ConfigureAwait(false);
        _observer.OnRoomMade(vacuum);
        SyncIfAsked();
        CrashPoint.Hit("after-vacuum");

        var held = verityGroups.SelectMany(g => g.Transfers).ToHashSet(StringComparer.Ordinal);
        var written = new Dictionary<string, WrittenCopy>(StringComparer.Ordinal);
        try
        {
            _observer.OnStatus(set.Version, $"Updating to '{set.Version}'.");
            for (var index = 0; index < context.Enabled.Count; index++)
            {
                var transfer = context.Enabled[index];
                switch (steps.For(transfer.Id))
                {
                    case KeepInstalled { Installed.Path: var path } when set.For(transfer.Id) is { InTarget: false }:
                        _logger.LogInformation("No need to acquire '{Path}', already installed.", path);
                        break;
                    case AcquireFromSource acquire:
                        var target = prepared[transfer.Id];
                        _logger.LogInformation("Acquiring {Source} → {Target}...", acquire.Source.Path, target.Destination);
                        var position = index;
                        var id = transfer.Id;
                        _observer.OnProgress(set.Version, position, context.Enabled.Count, id, new TransferProgress(0, null));
                        var payload = transfer.Source.Open(acquire.Source);
                        // Files installed on an image's ESP seed a rebuild through host copies, gone after the write.
                        var hostCopies = payload.Rebuild is not null && transfer.Target is FileTreeTarget fileTree
                            ? await fileTree.HostCopiesAsync(transfer.TargetInventory.Instances.Select(i => i.Path), cancellationToken).ConfigureAwait(false)
                            : [];
                        try
                        {
                            if (payload.Rebuild is not null)
                            {
                                payload = payload.WithSeeds([.. await SeedsForAsync(transfer, leftovers, cancellationToken).ConfigureAwait(false), .. hostCopies.Select(c => new Seed(c.Name))]);
                            }

                            var progress = new Progress<TransferProgress>(p => _observer.OnProgress(set.Version, position, context.Enabled.Count, id, WithDelta(p, payload.Rebuild)));
                            if (held.Contains(transfer.Id))
                            {
                                written[transfer.Id] = await transfer.Target.WriteAsync(target, payload, acquire.Metadata, progress, cancellationToken).ConfigureAwait(false);
                            }
                            else
                            {
                                pendingCopies[transfer.Id] = await transfer.Target.AcquireAsync(target, payload, acquire.Metadata, progress, cancellationToken).ConfigureAwait(false);
                            }
                        }
                        finally
                        {
                            foreach (var copy in hostCopies)
                            {
                                await copy.DisposeAsync().ConfigureAwait(false);
                            }
                        }

                        _observer.OnProgress(set.Version, position, context.Enabled.Count, 1.0);
                        _logger.LogInformation("Successfully acquired '{Path}'.", acquire.Source.Path);
                        CrashPoint.Hit("after-acquire-transfer");
                        break;
                    default:
                        break;
                }
            }

            if (written.Count > 0)
            {
                await CheckVerityAsync(context, set, steps, verityGroups, verityTrust, written, pendingCopies, cancellationToken).ConfigureAwait(false);

                // The group passed: all of it becomes pending, never a part (a SIGINT waits for these renames).
                foreach (var transfer in context.Enabled)
                {
                    if (written.TryGetValue(transfer.Id, out var copy))
                    {
                        pendingCopies[transfer.Id] = await transfer.Target.MarkPendingAsync(copy, CancellationToken.None).ConfigureAwait(false);
                        written.Remove(transfer.Id);
                    }
                }
            }
        }
        catch (Exception) when (written.Count > 0)
        {
            // Whatever ended the acquire after a held copy was written (a failed check, a cancel or an
            // I/O error during it, a later transfer's download): no held copy stays in flight. Each is
            // partial, as a payload that failed its hash, and the rejects run to the end whatever a
            // cancellation asks, as the renames to pending do.
            await RejectHeldAsync(context, written).ConfigureAwait(false);
            throw;
        }

        SyncIfAsked();
        return (set, pendingCopies);
    }

    /// <summary>
    /// The verity groups this run wrote copies of (<see cref="VerityGate"/>), read from the slots and
    /// files just written (or the version's pending or installed copies of the group's other
    /// transfers), each with the partition UUID it carries or will carry. A failure throws; the caller
    /// rejects every held copy.
    /// </summary>
    private async Task CheckVerityAsync(LoadedContext context, UpdateSet set, UpdateSteps steps, IReadOnlyList<VerityGroup> groups, VerityTrust trust, IReadOnlyDictionary<string, WrittenCopy> written, IReadOnlyDictionary<string, PendingCopy> pending, CancellationToken cancellationToken)
    {
        var copies = new Dictionary<string, VerityCopy>(StringComparer.Ordinal);
        foreach (var transfer in context.Enabled)
        {
            if (written.TryGetValue(transfer.Id, out var copy))
            {
                copies[transfer.Id] = new VerityCopy(transfer.Target, copy.Location, copy.Metadata.PartitionUuid, WrittenNow: true);
            }
            else if (pending.TryGetValue(transfer.Id, out var adopted) && steps.For(transfer.Id) is InstallPending { Pending: var instance })
            {
                copies[transfer.Id] = new VerityCopy(transfer.Target, adopted.Location, instance.Metadata.PartitionUuid, WrittenNow: false);
            }
            else if (steps.For(transfer.Id) is KeepInstalled { Installed: var installed })
            {
                // Installed already, found in the set or (not in it) in the target by version.
                copies[transfer.Id] = new VerityCopy(transfer.Target, installed.Location, installed.Metadata.PartitionUuid, WrittenNow: false);
            }
        }

        var inputs = VerityGate.Plan(groups, copies);
        if (inputs.Count > 0)
        {
            _observer.OnStatus(set.Version, $"Verifying the verity partitions of '{set.Version}'.");
        }

        foreach (var (group, result) in await VerityGate.CheckAsync(inputs, trust, cancellationToken).ConfigureAwait(false))
        {
            if (result is null)
            {
                _logger.LogWarning("Version '{Version}' goes unchecked: the root hash of verity data '{Data}' is not signed anywhere (no signature partition, no {Key}= in its UKIs).", set.Version, copies[group.DataTransfer].Name, group.CommandLineKey);
            }
            else
            {
                _logger.LogInformation("Verity data '{Data}' matches its hash partition and signed root hash {RootHash}.", copies[group.DataTransfer].Name, result.RootHashHex);
            }
        }
    }

    /// <summary>Marks every held copy partial (best effort for each: the failure that got here is the one to report).</summary>
    private async Task RejectHeldAsync(LoadedContext context, IReadOnlyDictionary<string, WrittenCopy> written)
    {
        foreach (var transfer in context.Enabled)
        {
            if (!written.TryGetValue(transfer.Id, out var copy))
            {
                continue;
            }

            try
            {
                await transfer.Target.RejectAsync(copy, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ImageUpdateException or IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Failed to mark '{Name}' partial after the failed update, the next run removes it: {Error}", UntrustedText.Escape(copy.Target.FinalName), e.Message);
            }
        }
    }

    private (UpdateSet? Set, IReadOnlyDictionary<string, PendingCopy>? Pending) SelectPending(LoadedContext context, string? version)
    {
        var steps = Decide(StepPlanner.PlanInstallPending(context.Plan, version, Definitions(context)));
        if (steps.Decision != StepDecision.Proceed)
        {
            return (steps.Set, null);
        }

        var pendingCopies = new Dictionary<string, PendingCopy>(StringComparer.Ordinal);
        foreach (var transfer in context.Enabled)
        {
            if (steps.For(transfer.Id) is InstallPending pending)
            {
                pendingCopies[transfer.Id] = Adopt(transfer, pending);
            }
        }

        return (steps.Set, pendingCopies);
    }

    private static TransferProgress WithDelta(TransferProgress progress, DeltaCounters? rebuild) =>
        rebuild is { Active: true } ? progress with { Reused = rebuild.Reused, Downloaded = rebuild.Downloaded } : progress;

    /// <summary>The names of a copy an earlier acquire left pending, and its slot or path recovered.</summary>
    private static PendingCopy Adopt(TransferRuntime transfer, InstallPending pending) =>
        transfer.Target.AdoptPending(transfer.Target.Prepare(pending.Metadata), pending.Pending);

    /// <summary>Makes every pending copy final; returns the transfers this run installed and where to.</summary>
    private async Task<IReadOnlyList<CompletedResource>> InstallAsync(LoadedContext context, UpdateSet set, IReadOnlyDictionary<string, PendingCopy> pending, CancellationToken cancellationToken)
    {
        _observer.OnStatus(set.Version, $"Installing '{set.Version}'.");
        var completed = new List<CompletedResource>();
        foreach (var transfer in context.Enabled)
        {
            string final;
            if (pending.TryGetValue(transfer.Id, out var copy))
            {
                final = await transfer.Target.InstallAsync(copy, cancellationToken).ConfigureAwait(false);
                completed.Add(new CompletedResource(transfer.Id, final));
                _logger.LogInformation("Successfully installed '{Source}' ({SourceType}) as '{Final}' ({TargetType}).",
                    set.For(transfer.Id)?.Instance.Path, ResourceTypes.ToName(transfer.Definition.Source.Type), final, ResourceTypes.ToName(transfer.Definition.Target.Type));
                RecordInstall(transfer);
            }
            else if (set.For(transfer.Id) is { InTarget: true } installed)
            {
                // Installed by an earlier, interrupted run: its symlink may not have been switched yet.
                final = installed.Instance.Path;
            }
            else
            {
                continue;
            }

            if (transfer.Definition.Target.CurrentSymlink is { } link)
            {
                UpdateCurrentSymlink(transfer, link, final);
            }
        }

        SyncIfAsked();
        _logger.LogInformation("Successfully installed update '{Version}'.", set.Version);
        _observer.OnStatus(set.Version, $"Installed '{set.Version}'.");
        return completed;
    }

    /// <summary>
    /// With nothing to install, CurrentSymlink= must still name the newest installed version: a kill
    /// between a transfer's final rename and its symlink swap leaves the old target behind, and no
    /// later install of that version would come to fix it.
    /// </summary>
    private void RepairCurrentSymlinks(LoadedContext context)
    {
        if (context.Plan.NewestInstalled is not { } newest || (newest.Flags & (UpdateSetFlags.Partial | UpdateSetFlags.Pending)) != 0)
        {
            return;
        }

        foreach (var transfer in context.Enabled)
        {
            if (transfer.Definition.Target.CurrentSymlink is { } link &&
                newest.For(transfer.Id) is { InTarget: true, Instance: { IsPartial: false, IsPending: false } instance } &&
                CurrentSymlinkTarget(transfer, link) != instance.Path)
            {
                UpdateCurrentSymlink(transfer, link, instance.Path);
            }
        }
    }

    private string? CurrentSymlinkTarget(TransferRuntime transfer, string link)
    {
        var linkPath = CurrentSymlinkPath(transfer, link);
        var target = new FileInfo(linkPath).LinkTarget;
        return target is null ? null : Path.GetFullPath(target, Path.GetDirectoryName(linkPath)!);
    }

    private string CurrentSymlinkPath(TransferRuntime transfer, string link) =>
        // The link's directory resolves inside the root; the link itself is replaced, never followed.
        Path.IsPathRooted(link)
            ? Path.Join(Platform.FileSystem.RootedPath.Resolve(_options.Root, Path.GetDirectoryName(link)!), Path.GetFileName(link))
            : Path.Combine(transfer.TargetPath, link);

    private void UpdateCurrentSymlink(TransferRuntime transfer, string link, string final)
    {
        var linkPath = CurrentSymlinkPath(transfer, link);
        var parent = Path.GetDirectoryName(linkPath)!;
        Directory.CreateDirectory(parent);
        var relative = Path.GetRelativePath(parent, final);
        Platform.FileSystem.AtomicSymlink.Replace(linkPath, relative);
        _logger.LogInformation("Updated symlink '{Link}' → '{Target}'.", linkPath, relative);
    }

    private async Task RebootIfNewerAsync(UpdateSet installed, string booted)
    {
        var order = VersionComparer.CompareVersions(installed.Version, booted);
        if (order > 0)
        {
            _logger.LogWarning("Newly installed version is newer than booted version, rebooting.");
        }
        else if (order == 0 && installed.Has(UpdateSetFlags.Incomplete))
        {
            _logger.LogWarning("Currently booted version was incomplete and has been repaired, rebooting.");
        }
        else
        {
            _logger.LogInformation("Booted version is newer or identical to newly installed version, not rebooting.");
            return;
        }

        await _services.Rebooter.RebootAsync(CancellationToken.None).ConfigureAwait(false);
    }
}
