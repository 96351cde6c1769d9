using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Host;
using ImageUpdate.Platform.Btrfs;
using ImageUpdate.Platform.FileSystem;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// Turns a transfer definition into its resources: the source (a local directory, a URL's manifest,
/// or what the caller substitutes) and the target (a directory, a partition table, or with --image
/// the image's GPT or a FAT partition inside it), with their paths resolved under --root, the
/// boot partitions or --transfer-source. One resolver serves one load: the boot partitions are
/// located once, on first need.
/// </summary>
public sealed class TransferResolver
{
    private readonly ResolverSettings _settings;
    private readonly ILogger _logger;
    private readonly IBtrfs _btrfs;
    private readonly Func<TransferDefinition, string, ISourceResource> _urlSource;
    private readonly Func<TransferDefinition, ISourceResource>? _sources;
    private BootPartitionPaths? _bootPaths;

    /// <param name="urlSource">Makes a url-file/url-tar source for a transfer and its base URL.</param>
    /// <param name="sources">When set, every transfer reads from what this returns instead of its own [Source].</param>
    public TransferResolver(ResolverSettings settings, ILogger logger, IBtrfs btrfs, Func<TransferDefinition, string, ISourceResource> urlSource, Func<TransferDefinition, ISourceResource>? sources = null)
    {
        _settings = settings;
        _logger = logger;
        _btrfs = btrfs;
        _urlSource = urlSource;
        _sources = sources;
    }

    /// <summary>The source and target of <paramref name="transfer"/>, and the paths they resolved to.</summary>
    public ResolvedTransfer Resolve(TransferDefinition transfer)
    {
        var source = transfer.Source;
        string sourcePath;
        if (source.Type is ResourceType.UrlFile or ResourceType.UrlTar)
        {
            sourcePath = source.Path;
        }
        else if (source.PathRelativeTo == PathRelativeTo.Explicit)
        {
            sourcePath = RootedPath.Resolve(_settings.TransferSource ?? throw new UsageException(
                $"{transfer.FilePath}: the source has PathRelativeTo=explicit, but no --transfer-source= was given."), source.Path);
        }
        else
        {
            sourcePath = UnderRoot(source.Path);
        }

        var target = transfer.Target;
        string targetPath;
        ITargetResource? targetResource = null;
        if (_settings.Image is { } image)
        {
            (targetPath, targetResource) = ResolveInImage(transfer, image);
        }
        else if (target.PathRelativeTo is PathRelativeTo.Esp or PathRelativeTo.Xbootldr or PathRelativeTo.Boot)
        {
            _bootPaths ??= BootPartitionLocator.Locate(_settings.Root, _settings.BootPartitions ?? BootPartitionOverrides.None);
            // Read by the firmware: no symbolic links on the way (sysupdate's CHASE_PROHIBIT_SYMLINKS).
            targetPath = RootedPath.Resolve(BootDirectory.Of(_bootPaths, target.PathRelativeTo), target.Path, refuseLinks: true);
        }
        else
        {
            targetPath = target.Type == ResourceType.Partition && target.PathIsAuto ? target.Path : UnderRoot(target.Path);
        }

        ISourceResource sourceResource = _sources is not null ? _sources(transfer) : source.Type switch
        {
            ResourceType.RegularFile or ResourceType.Tar or ResourceType.Directory or ResourceType.Subvolume => new LocalSource(source, sourcePath),
            ResourceType.UrlFile or ResourceType.UrlTar => _urlSource(transfer, sourcePath),
            _ => throw new UpdateException($"{transfer.FilePath}: {ResourceTypes.ToName(source.Type)} sources are not supported by this build yet."),
        };

        targetResource ??= target.Type switch
        {
            ResourceType.RegularFile or ResourceType.Directory or ResourceType.Subvolume => new FileTreeTarget(target, new HostDirectoryTree(target, targetPath, _settings.Sync, _logger, _btrfs), _logger),
            ResourceType.Partition => new PartitionTarget(target, targetPath, _settings.IsRooted, _settings.Sync, _logger),
            _ => throw new UpdateException($"{transfer.FilePath}: {ResourceTypes.ToName(target.Type)} targets are not supported by this build yet."),
        };

        return new ResolvedTransfer(sourceResource, targetResource, sourcePath, targetPath);
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
        return ($"{image}:{volume.Description}:{directory}", new FileTreeTarget(target, new FatImageTree(target, volume, directory), _logger));
    }

    private Platform.Fat.FatVolume ImageVolume(string image, PathRelativeTo relativeTo, string definitionFile)
    {
        Platform.Fat.FatVolume? Find(Guid type) => Platform.Fat.FatVolume.InImage(image, type, timestamp: _settings.ImageTimestamp);
        var volume = relativeTo switch
        {
            PathRelativeTo.Esp => Find(Formats.Gpt.PartitionType.Esp),
            PathRelativeTo.Xbootldr => Find(Formats.Gpt.PartitionType.Xbootldr),
            _ => Find(Formats.Gpt.PartitionType.Xbootldr) ?? Find(Formats.Gpt.PartitionType.Esp),
        };
        return volume ?? throw new UpdateException(
            $"{definitionFile}: the disk image '{UntrustedText.Escape(image)}' has no {(relativeTo == PathRelativeTo.Xbootldr ? "XBOOTLDR" : "ESP")} partition.");
    }

    /// <summary>A path of the OS tree: symbolic links resolve inside --root, never out of it.</summary>
    private string UnderRoot(string path) => RootedPath.Resolve(_settings.Root, path);
}
