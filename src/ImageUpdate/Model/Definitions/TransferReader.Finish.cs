using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Model.Definitions;

// transfer_finalize and the static part of transfer_resolve_paths (sysupdate-transfer.c,
// sysupdate-resource.c), in systemd's order, so that the first problem reported is the one systemd
// reports. systemd points every one of these at "FILE:1"; here they point at the assignment
// concerned when there is one, else at the file.
internal sealed partial class TransferReader
{
    /// <summary>DEFAULT_FILE_INSTANCES_MAX: InstancesMax= of file, directory and subvolume targets.</summary>
    public const int DefaultFileInstancesMax = 3;

    private static bool IsSourceType(ResourceType type) => type != ResourceType.Partition;

    private static bool IsTargetType(ResourceType type) =>
        type is ResourceType.Partition or ResourceType.RegularFile or ResourceType.Directory or ResourceType.Subvolume;

    private static bool IsUrlType(ResourceType type) => type is ResourceType.UrlFile or ResourceType.UrlTar;

    private ConfigurationException ErrorAt(string mainFile, Resource resource, string key, string message) =>
        _last.TryGetValue((resource.Section, key), out var a)
            ? new ConfigurationException(a.File, a.Line, key, message)
            : new ConfigurationException(mainFile, 0, key, message);

    private TransferDefinition Finish(string id, string mainFile)
    {
        if (_source.Type is not { } sourceType || !IsSourceType(sourceType))
        {
            throw ErrorAt(mainFile, _source, "Type",
                "Source Type= must be one of url-file, url-tar, tar, regular-file, directory, subvolume.");
        }

        var targetType = _target.Type ?? InferTargetType(sourceType);
        if (!IsTargetType(targetType))
        {
            throw ErrorAt(mainFile, _target, "Type", "Target Type= must be one of partition, regular-file, directory, subvolume.");
        }

        if (targetType == ResourceType.Partition)
        {
            _target.PartitionType ??= PartitionType.LinuxGeneric;
        }

        var fileSource = sourceType is ResourceType.UrlFile or ResourceType.RegularFile;
        var fileTarget = targetType is ResourceType.Partition or ResourceType.RegularFile;
        if (fileSource != fileTarget)
        {
            throw ErrorAt(mainFile, _target, "Type",
                $"Target type '{NameOf(targetType)}' is incompatible with source type '{NameOf(sourceType)}', refusing.");
        }

        if (_source.Path is null && !_source.PathAuto)
        {
            throw new ConfigurationException(mainFile, 0, "Path", "The [Source] section lacks Path=.");
        }

        if (_source.RelativeTo == PathRelativeTo.Explicit && _transferSource is null)
        {
            throw ErrorAt(mainFile, _source, "PathRelativeTo", "PathRelativeTo=explicit requires --transfer-source= to be specified.");
        }

        if (_target.RelativeTo == PathRelativeTo.Explicit)
        {
            throw ErrorAt(mainFile, _target, "PathRelativeTo", "PathRelativeTo=explicit can only be used in [Source].");
        }

        if (_source.Path is { } sourcePath)
        {
            if (!IsUrlType(sourceType) && (!ConfigValues.PathIsAbsolute(sourcePath) || !ConfigValues.PathIsNormalized(sourcePath)))
            {
                throw ErrorAt(mainFile, _source, "Path", $"Source path {Quote(sourcePath)} is not a normalized, absolute path.");
            }

            // file:// is unofficial but supported (sysupdate tests use it instead of an HTTP server).
            if (IsUrlType(sourceType) && !ConfigValues.IsHttpUrl(sourcePath) && !ConfigValues.IsFileUrl(sourcePath))
            {
                throw ErrorAt(mainFile, _source, "Path", $"Source path {Quote(sourcePath)} is not a valid HTTP, HTTPS or file URL.");
            }
        }

        if (_source.Patterns.Count == 0)
        {
            throw new ConfigurationException(mainFile, 0, "MatchPattern", "The [Source] section lacks MatchPattern=.");
        }

        if (sourceType is ResourceType.Directory or ResourceType.Subvolume
            && _source.Patterns.Any(p => p.AnyDepth))
        {
            throw ErrorAt(mainFile, _source, "MatchPattern",
                "A MatchPattern= with the '**/' prefix is not supported for source Type=directory or Type=subvolume.");
        }

        if (_target.Path is null && !_target.PathAuto)
        {
            throw new ConfigurationException(mainFile, 0, "Path", "The [Target] section lacks Path=.");
        }

        if (_target.Path is { } targetPath && (!ConfigValues.PathIsAbsolute(targetPath) || !ConfigValues.PathIsNormalized(targetPath)))
        {
            throw ErrorAt(mainFile, _target, "Path", $"Target path {Quote(targetPath)} is not a normalized, absolute path.");
        }

        if (_target.Patterns.Count == 0)
        {
            // systemd main: inherit the source patterns, without the '**/' prefix, which only finds
            // sources and does not describe a layout to recreate.
            _diagnostics.Info($"{mainFile}: the [Target] section lacks MatchPattern=, using the source's.");
            foreach (var pattern in _source.Patterns)
            {
                _target.Patterns.Add(pattern.AnyDepth ? MatchPattern.Parse(pattern.Text[GlobDirectoryPrefix.Length..]) : pattern);
            }

            var unique = _target.Patterns.DistinctBy(p => p.Text, StringComparer.Ordinal).ToList();
            _target.Patterns.Clear();
            _target.Patterns.AddRange(unique);
        }

        if (_currentSymlink is { } symlink && targetType == ResourceType.Partition && !ConfigValues.PathIsAbsolute(symlink))
        {
            throw ErrorAt(mainFile, _target, "CurrentSymlink",
                $"CurrentSymlink= must be an absolute path when the target is a partition, refusing {Quote(symlink)}.");
        }

        var instancesMax = _instancesMax switch
        {
            0 => targetType == ResourceType.Partition ? int.MaxValue : DefaultFileInstancesMax,
            > int.MaxValue => int.MaxValue,
            _ => (int)_instancesMax,
        };

        CheckResolvable(mainFile, _source, sourceType);
        CheckResolvable(mainFile, _target, targetType);

        var source = new SourceDefinition(sourceType, _source.Path ?? TargetDefinition.AutoPath, _source.RelativeTo,
            new PatternList([.. _source.Patterns]));
        var target = new TargetDefinition(
            targetType,
            _target.Path ?? TargetDefinition.AutoPath,
            _target.RelativeTo,
            new PatternList([.. _target.Patterns]),
            _target.PartitionType,
            _partitionUuid,
            _partitionFlags,
            _noAuto,
            _growFileSystem,
            _readOnly,
            _mode,
            _triesLeft,
            _triesDone,
            instancesMax,
            _removeTemporary ?? true,
            _currentSymlink)
        {
            PartitionZeroFill = _zeroFill,
        };
        return new TransferDefinition(
            id,
            mainFile,
            _minVersion,
            _maxVersion,
            [.. _protectVersions],
            _verify ?? true,
            [.. _changeLog],
            [.. _appStream],
            [.. _features],
            [.. _requisiteFeatures],
            source,
            target)
        {
            UnresolvedProtectVersion = _unresolvedProtectVersion,
        };
    }

    // systemd main: an unset target type follows the source (a file source lands in a partition when
    // the target path is under /dev/, else in a file; archives and trees land in a directory).
    private ResourceType InferTargetType(ResourceType sourceType) => sourceType switch
    {
        ResourceType.UrlFile or ResourceType.RegularFile =>
            _target.Path is { } path && path.StartsWith("/dev/", StringComparison.Ordinal)
                ? ResourceType.Partition
                : ResourceType.RegularFile,
        ResourceType.Subvolume => ResourceType.Subvolume,
        _ => ResourceType.Directory,
    };

    // resource_resolve_path refuses these before looking at the file system.
    private void CheckResolvable(string mainFile, Resource resource, ResourceType type)
    {
        if (resource.RelativeTo is PathRelativeTo.Esp or PathRelativeTo.Xbootldr or PathRelativeTo.Boot
            && type is not (ResourceType.RegularFile or ResourceType.Directory))
        {
            var name = resource.RelativeTo.ToString().ToLowerInvariant();
            throw ErrorAt(mainFile, resource, "PathRelativeTo",
                $"Paths relative to {name} are only allowed for regular-file or directory resources.");
        }

        if (resource.PathAuto && type != ResourceType.Partition)
        {
            throw ErrorAt(mainFile, resource, "Path", "Path=auto is only supported for partition resources.");
        }
    }
}
