using ImageUpdate.Boot;
using ImageUpdate.Definitions;
using ImageUpdate.Errors;
using ImageUpdate.FileSystem;
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
        IReadOnlySet<string> ProtectedVersions)
    {
        public IEnumerable<TransferRuntime> All => Enabled.Concat(Disabled);
    }

    /// <summary>Definitions and targets only: what offline verbs (vacuum, pending, features) need.</summary>
    private LoadedContext LoadOffline(bool requireEnabled, bool requireAny = true, bool loadInstances = true)
    {
        var definitions = HostFacts.LoadDefinitions(_options, _logger);
        var enabled = new List<TransferRuntime>();
        var disabled = new List<TransferRuntime>();
        BootPartitionPaths? bootPaths = null;
        foreach (var transfer in definitions.Transfers)
        {
            var runtime = Resolve(transfer, definitions.IsEnabled(transfer), ref bootPaths);
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
            return new LoadedContext(definitions, enabled, disabled, new UpdatePlan([], null, null), protectedVersions);
        }


        foreach (var transfer in enabled.Concat(disabled))
        {
            transfer.TargetInventory = transfer.Target.Load();
        }

        _rememberedBad = enabled.Concat(disabled).SelectMany(t => t.Target.RememberedBad()).ToHashSet(StringComparer.Ordinal);
        return new LoadedContext(definitions, enabled, disabled, Plan(enabled, online: false), protectedVersions);
    }

    /// <summary>Also what the sources offer (unless --offline): what list, check-new and update need.</summary>
    private async Task<LoadedContext> LoadOnlineAsync(bool requireEnabled, CancellationToken cancellationToken)
    {
        var context = LoadOffline(requireEnabled);
        if (_options.Offline)
        {
            return context;
        }

        foreach (var transfer in context.Enabled)
        {
            transfer.SourceInventory = await transfer.Source.LoadAsync(cancellationToken).ConfigureAwait(false);
        }

        return context with { Plan = Plan(context.Enabled, online: true) };
    }

    private UpdatePlan Plan(IReadOnlyList<TransferRuntime> enabled, bool online) => UpdateSetPlanner.Discover(
        enabled.Select(t => new TransferInventory(t.Id, t.SourceInventory, t.TargetInventory, t.Definition.MinVersion, t.Definition.MaxVersion, t.Definition.ProtectVersions)).ToList(),
        offline: !online,
        _rememberedBad);

    private TransferRuntime Resolve(TransferDefinition transfer, bool enabled, ref BootPartitionPaths? bootPaths)
    {
        var source = transfer.Source;
        string sourcePath;
        if (source.Type is ResourceType.UrlFile or ResourceType.UrlTar)
        {
            sourcePath = source.Path;
        }
        else if (source.PathRelativeTo == PathRelativeTo.Explicit)
        {
            sourcePath = RootedPath.Resolve(_options.TransferSource ?? throw new UsageException(
                $"{transfer.FilePath}: the source has PathRelativeTo=explicit, but no --transfer-source= was given."), source.Path);
        }
        else
        {
            sourcePath = UnderRoot(source.Path);
        }

        var target = transfer.Target;
        string targetPath;
        ITargetResource? targetResource = null;
        if (_options.Image is { } image)
        {
            (targetPath, targetResource) = ResolveInImage(transfer, image);
        }
        else if (target.PathRelativeTo is PathRelativeTo.Esp or PathRelativeTo.Xbootldr or PathRelativeTo.Boot)
        {
            bootPaths ??= BootPartitionLocator.Locate(_options.Root);
            // Read by the firmware: no symbolic links on the way (sysupdate's CHASE_PROHIBIT_SYMLINKS).
            targetPath = RootedPath.Resolve(BootPartitionLocator.Resolve(bootPaths, target.PathRelativeTo), target.Path, refuseLinks: true);
        }
        else
        {
            targetPath = target.Type == ResourceType.Partition && target.PathIsAuto ? target.Path : UnderRoot(target.Path);
        }

        ISourceResource sourceResource = _sources is not null ? _sources(transfer) : source.Type switch
        {
            ResourceType.RegularFile or ResourceType.Tar or ResourceType.Directory or ResourceType.Subvolume => new LocalSource(source, sourcePath),
            ResourceType.UrlFile or ResourceType.UrlTar => UrlSource(transfer, sourcePath),
            _ => throw new UpdateException($"{transfer.FilePath}: {ResourceTypes.ToName(source.Type)} sources are not supported by this build yet."),
        };

        targetResource ??= target.Type switch
        {
            ResourceType.RegularFile or ResourceType.Directory or ResourceType.Subvolume => new FileSystemTarget(target, targetPath, _options.Sync, _logger),
            ResourceType.Partition => new PartitionTarget(target, targetPath, _options.IsRooted, _options.Sync, _logger),
            _ => throw new UpdateException($"{transfer.FilePath}: {ResourceTypes.ToName(target.Type)} targets are not supported by this build yet."),
        };

        return new TransferRuntime(transfer, enabled, sourceResource, targetResource, sourcePath, targetPath);
    }

    /// <summary>
    /// --image: a Path=auto partition target is the image's own GPT; a file target on the ESP,
    /// XBOOTLDR or $BOOT is that partition's FAT file system inside the image. Everything else would
    /// be a path of the host or of the image's root file system (which is not mounted), so it is refused.
    /// </summary>
    private (string Path, ITargetResource? Target) ResolveInImage(TransferDefinition transfer, string image)
    {
        var target = transfer.Target;
        if (target.Type == ResourceType.Partition)
        {
            return target.PathIsAuto ? (image, null) : throw new UpdateException(
                $"{transfer.FilePath}: with --image, a partition target must have Path=auto (the image), not '{UntrustedText.Escape(target.Path)}'.");
        }

        if (target.PathRelativeTo is not (PathRelativeTo.Esp or PathRelativeTo.Xbootldr or PathRelativeTo.Boot))
        {
            throw new UpdateException(
                $"{transfer.FilePath}: with --image, file targets must live on the ESP or XBOOTLDR partition (PathRelativeTo=esp, xbootldr or boot); the image's root file system is not mounted.");
        }

        var volume = ImageVolume(image, target.PathRelativeTo, transfer.FilePath);
        if (target.Type != ResourceType.RegularFile)
        {
            throw new UpdateException($"{transfer.FilePath}: only regular-file targets can live on {volume.Description}, not {ResourceTypes.ToName(target.Type)}.");
        }

        if (target.CurrentSymlink is not null)
        {
            throw new UpdateException($"{transfer.FilePath}: CurrentSymlink= cannot be kept on {volume.Description}: FAT has no symbolic links.");
        }

        var directory = "/" + target.Path.Trim('/');
        return ($"{image}:{volume.Description}:{directory}", new FatFileTarget(target, volume, directory, _logger));
    }

    private Fat.FatVolume ImageVolume(string image, PathRelativeTo relativeTo, string definitionFile)
    {
        Fat.FatVolume? Find(Guid type) => Fat.FatVolume.InImage(image, type, timestamp: _options.ImageTimestamp);
        var volume = relativeTo switch
        {
            PathRelativeTo.Esp => Find(Gpt.PartitionType.Esp),
            PathRelativeTo.Xbootldr => Find(Gpt.PartitionType.Xbootldr),
            _ => Find(Gpt.PartitionType.Xbootldr) ?? Find(Gpt.PartitionType.Esp),
        };
        return volume ?? throw new UpdateException(
            $"{definitionFile}: the disk image '{UntrustedText.Escape(image)}' has no {(relativeTo == PathRelativeTo.Xbootldr ? "XBOOTLDR" : "ESP")} partition.");
    }

    /// <summary>A path of the OS tree: symbolic links resolve inside --root, never out of it.</summary>
    private string UnderRoot(string path) => RootedPath.Resolve(_options.Root, path);
}
