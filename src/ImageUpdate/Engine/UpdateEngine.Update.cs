using ImageUpdate.Definitions;
using ImageUpdate.Diagnostics;
using ImageUpdate.Errors;
using ImageUpdate.Planning;
using ImageUpdate.Transfers;
using ImageUpdate.Versions;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Engine;

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

        // --reboot compares with the booted version: know it before changing anything (as sysupdate).
        var booted = _options.Reboot
            ? BootedVersion(_options) ?? throw new UpdateException($"{OsReleaseName} lacks IMAGE_VERSION field.")
            : null;

        using var guard = TakeLock();
        var context = await LoadOnlineAsync(requireEnabled: true, cancellationToken).ConfigureAwait(false);

        // Held from the first write (making room) until the last one is synced, then released before
        // any reboot: a "block" inhibitor of our own would hold up the reboot we ask for.
        using var inhibitor = new ShutdownInhibition(_options.Image is null ? _options.ShutdownInhibitor : null);
        var (set, pending) = actions.HasFlag(UpdateActions.Acquire)
            ? await AcquireAsync(context, version, inhibitor, cancellationToken).ConfigureAwait(false)
            : SelectPending(context, version);

        if (set is null || pending is null)
        {
            if (version is null && actions.HasFlag(UpdateActions.Install))
            {
                RepairCurrentSymlinks(context);
            }

            return new UpdateResult(set is null ? UpdateOutcome.NothingToDo : UpdateOutcome.AlreadyInstalled, set?.Version);
        }

        if (!actions.HasFlag(UpdateActions.Install))
        {
            return new UpdateResult(UpdateOutcome.Acquired, set.Version);
        }

        await inhibitor.HoldAsync(cancellationToken).ConfigureAwait(false);
        Install(context, set, pending);
        inhibitor.Dispose();
        CrashPoint.Hit("after-inhibitor-release");
        if (booted is not null)
        {
            RebootIfNewer(set, booted);
        }

        return new UpdateResult(UpdateOutcome.Installed, set.Version);
    }

    private UpdateSet? Select(LoadedContext context, string? version)
    {
        if (version is not null)
        {
            return context.Plan.Find(version) ?? throw new UpdateException($"Update '{UntrustedText.Escape(version)}' not found.");
        }

        if (context.Plan.Candidate is null)
        {
            _logger.LogInformation("No update needed.");
        }

        return context.Plan.Candidate;
    }

    private async Task<(UpdateSet? Set, IReadOnlyDictionary<string, PendingCopy>? Pending)> AcquireAsync(LoadedContext context, string? version, ShutdownInhibition inhibitor, CancellationToken cancellationToken)
    {
        var set = Select(context, version);
        if (set is null)
        {
            return (null, null);
        }

        if (set.Has(UpdateSetFlags.Partial))
        {
            throw new UpdateException($"Selected update '{set.Version}' is already acquired and partially installed. Vacuum it to try installing again.");
        }

        if (set.Has(UpdateSetFlags.Incomplete))
        {
            _logger.LogInformation("Selected update '{Version}' is already installed, but incomplete. Repairing.", set.Version);
        }
        else if (set.Has(UpdateSetFlags.Pending))
        {
            _logger.LogInformation("Selected update '{Version}' is already acquired and pending installation.", set.Version);
        }
        else if (set.Has(UpdateSetFlags.Installed))
        {
            _logger.LogInformation("Selected update '{Version}' is already installed. Skipping update.", set.Version);
            return (set, null);
        }

        // What each transfer still needs: nothing (installed), an install (pending), or an acquire
        // (only the source has it). A pending set whose acquire was cut short is resumed here instead
        // of failing on the missing pending copies later (systemd #42186).
        var fromSource = context.Enabled.Where(t => set.For(t.Id) is { InTarget: false }).ToList();
        if (fromSource.Count > 0)
        {
            if (!set.Has(UpdateSetFlags.Available))
            {
                throw new UpdateException($"Selected update '{set.Version}' is not available, refusing.");
            }

            if (set.Has(UpdateSetFlags.Obsolete))
            {
                throw new UpdateException($"Selected update '{set.Version}' is obsolete, refusing.");
            }
        }

        WarnIfNotNewest(context, set);
        _logger.LogInformation("Selected update '{Version}' for install.", set.Version);

        // Every name is computed and validated before anything is deleted (systemd #40658).
        var pendingCopies = new Dictionary<string, PendingCopy>(StringComparer.Ordinal);
        var toAcquire = new Dictionary<string, (PreparedTarget Prepared, InstanceMetadata Metadata)>(StringComparer.Ordinal);
        foreach (var transfer in context.Enabled)
        {
            switch (set.For(transfer.Id))
            {
                case null:
                    throw new UpdateException($"Selected update '{set.Version}' lacks transfer '{transfer.Id}' and is not available to complete it, refusing.");
                case { Instance.IsPending: true } pending:
                    pendingCopies[transfer.Id] = PreparePending(transfer, pending);
                    break;
                case { InTarget: false } member:
                    var metadata = CompileMetadata(transfer, member);
                    toAcquire[transfer.Id] = (transfer.Target.Prepare(metadata), metadata);
                    break;
                default:
                    break; // Already installed in this target.
            }
        }

        if (fromSource.Count == 0)
        {
            return (set, pendingCopies);
        }

        await inhibitor.HoldAsync(cancellationToken).ConfigureAwait(false);
        _observer.OnStatus(set.Version, $"Making room for '{set.Version}'.");
        var vacuum = VacuumAll(context, space: 1, extraProtected: set.Version);
        _observer.OnRoomMade(vacuum);
        SyncIfAsked();
        CrashPoint.Hit("after-vacuum");

        _observer.OnStatus(set.Version, $"Updating to '{set.Version}'.");
        foreach (var transfer in fromSource)
        {
            var instance = set.For(transfer.Id)!.Instance;
            var (prepared, metadata) = toAcquire[transfer.Id];
            var existing = transfer.TargetInventory.Find(instance.Version);
            if (existing is { IsPartial: true } or { IsPending: true })
            {
                throw new UpdateException($"Failed to acquire '{UntrustedText.Escape(instance.Path)}', instance is already partial or pending in the target.");
            }

            if (existing is not null)
            {
                _logger.LogInformation("No need to acquire '{Path}', already installed.", instance.Path);
                continue;
            }

            _logger.LogInformation("Acquiring {Source} → {Target}...", instance.Path, prepared.Destination);
            var index = IndexOf(context, transfer);
            var progress = new Progress<double>(p => _observer.OnProgress(set.Version, index, context.Enabled.Count, p));
            pendingCopies[transfer.Id] = await transfer.Target.AcquireAsync(prepared, transfer.Source.Open(instance), metadata, progress, cancellationToken).ConfigureAwait(false);
            _observer.OnProgress(set.Version, index, context.Enabled.Count, 1.0);
            _logger.LogInformation("Successfully acquired '{Path}'.", instance.Path);
            CrashPoint.Hit("after-acquire-transfer");
        }

        SyncIfAsked();
        return (set, pendingCopies);
    }

    /// <summary>The transfer's position among the enabled ones: what progress reports count in.</summary>
    private static int IndexOf(LoadedContext context, TransferRuntime transfer)
    {
        for (var i = 0; i < context.Enabled.Count; i++)
        {
            if (ReferenceEquals(context.Enabled[i], transfer))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"Transfer '{transfer.Id}' is not enabled.");
    }

    private (UpdateSet? Set, IReadOnlyDictionary<string, PendingCopy>? Pending) SelectPending(LoadedContext context, string? version)
    {
        var set = Select(context, version);
        if (set is null)
        {
            return (null, null);
        }

        if ((set.Flags & (UpdateSetFlags.Partial | UpdateSetFlags.Pending | UpdateSetFlags.Installed | UpdateSetFlags.Incomplete)) == UpdateSetFlags.Installed)
        {
            _logger.LogInformation("Selected update '{Version}' is already installed. Skipping update.", set.Version);
            return (set, null);
        }

        if (set.Has(UpdateSetFlags.Partial))
        {
            throw new UpdateException($"Selected update '{set.Version}' is only partially downloaded, refusing.");
        }

        if (!set.Has(UpdateSetFlags.Pending))
        {
            throw new UpdateException($"Selected update '{set.Version}' is not pending installation, refusing.");
        }

        if (context.Enabled.FirstOrDefault(t => set.For(t.Id) is not { InTarget: true }) is { } missing)
        {
            throw new UpdateException($"Selected update '{set.Version}' is only partly acquired (transfer '{missing.Id}' is missing); run 'acquire' or 'update' to complete it.");
        }

        if (set.Has(UpdateSetFlags.Obsolete))
        {
            throw new UpdateException($"Selected update '{set.Version}' is obsolete, refusing.");
        }

        WarnIfNotNewest(context, set);
        _logger.LogInformation("Selected update '{Version}' for install.", set.Version);

        var pendingCopies = new Dictionary<string, PendingCopy>(StringComparer.Ordinal);
        foreach (var transfer in context.Enabled)
        {
            if (set.For(transfer.Id) is { Instance.IsPending: true } pending)
            {
                pendingCopies[transfer.Id] = PreparePending(transfer, pending);
            }
        }

        return (set, pendingCopies);
    }

    /// <summary>The names of a copy an earlier acquire left pending, and its slot or path recovered.</summary>
    private static PendingCopy PreparePending(TransferRuntime transfer, SetInstance pending) =>
        transfer.Target.AdoptPending(transfer.Target.Prepare(CompileMetadata(transfer, pending)), pending.Instance);

    private void Install(LoadedContext context, UpdateSet set, IReadOnlyDictionary<string, PendingCopy> pending)
    {
        _observer.OnStatus(set.Version, $"Installing '{set.Version}'.");
        foreach (var transfer in context.Enabled)
        {
            string final;
            if (pending.TryGetValue(transfer.Id, out var copy))
            {
                final = transfer.Target.Install(copy);
                _logger.LogInformation("Successfully installed '{Source}' ({SourceType}) as '{Final}' ({TargetType}).",
                    set.For(transfer.Id)?.Instance.Path, ResourceTypes.ToName(transfer.Definition.Source.Type), final, ResourceTypes.ToName(transfer.Definition.Target.Type));
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
            ? Path.Join(FileSystem.RootedPath.Resolve(_options.Root, Path.GetDirectoryName(link)!), Path.GetFileName(link))
            : Path.Combine(transfer.TargetPath, link);

    private void UpdateCurrentSymlink(TransferRuntime transfer, string link, string final)
    {
        var linkPath = CurrentSymlinkPath(transfer, link);
        var parent = Path.GetDirectoryName(linkPath)!;
        Directory.CreateDirectory(parent);
        var relative = Path.GetRelativePath(parent, final);
        FileSystem.AtomicSymlink.Replace(linkPath, relative);
        _logger.LogInformation("Updated symlink '{Link}' → '{Target}'.", linkPath, relative);
    }

    private void RebootIfNewer(UpdateSet installed, string booted)
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

        Boot.Rebooter.Reboot(_logger);
    }

    private void WarnIfNotNewest(LoadedContext context, UpdateSet set)
    {
        if (!set.Has(UpdateSetFlags.Newest))
        {
            _logger.LogWarning("Selected update '{Version}' is not the newest, proceeding anyway.", set.Version);
        }

        if (context.Plan.NewestInstalled is { } newest && VersionComparer.CompareVersions(newest.Version, set.Version) > 0)
        {
            _logger.LogWarning("Selected update '{Version}' is older than newest installed version, proceeding anyway.", set.Version);
        }
    }

    /// <summary>
    /// The values a new instance's name and attributes get (sysupdate's compile_pattern_fields):
    /// explicit settings first, then what the source carries; a tarball keeps its own mtime and mode.
    /// </summary>
    internal static InstanceMetadata CompileMetadata(TransferRuntime transfer, SetInstance source)
    {
        var target = transfer.Definition.Target;
        var m = source.Instance.Metadata;
        var fromTar = transfer.Definition.Source.Type is ResourceType.Tar or ResourceType.UrlTar && !source.InTarget;
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
}
