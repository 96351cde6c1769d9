using ImageUpdate.Definitions;
using ImageUpdate.Diagnostics;
using ImageUpdate.Errors;
using ImageUpdate.Fat;
using ImageUpdate.Resources;
using ImageUpdate.Versions;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Transfers;

/// <summary>
/// A regular-file target on the ESP or XBOOTLDR partition of a disk image (--image): the same names
/// and steps as <see cref="FileSystemTarget"/> (`.#sysupdate.partial.NAME` while copied in,
/// `.sysupdate.pending.NAME` once acquired, NAME once installed), done inside the FAT file system
/// through <see cref="FatVolume"/>, with the image synced after every step. The payload is first
/// written (decompressed, and for URL sources hash-checked) to a temporary host file, so bytes that
/// fail verification never reach the boot partition. FAT has no modes, links or read-only flag the
/// boot loader would tolerate (systemd-boot renames entries to count boot tries), so Mode= and
/// ReadOnly= do not apply here.
/// </summary>
public sealed class FatFileTarget : ITargetResource
{
    private readonly TargetDefinition _definition;
    private readonly FatVolume _volume;
    private readonly ILogger _logger;

    public FatFileTarget(TargetDefinition definition, FatVolume volume, string directory, ILogger logger)
    {
        if (definition.Type != ResourceType.RegularFile || definition.CurrentSymlink is not null)
        {
            throw new ArgumentException("Only regular-file targets without CurrentSymlink= live on FAT.", nameof(definition));
        }

        _definition = definition;
        _volume = volume;
        Directory = directory.Length > 1 ? directory.TrimEnd('/') : directory;
        _logger = logger;
    }

    /// <summary>The target directory inside the FAT file system.</summary>
    public string Directory { get; }

    public Task<ResourceInventory> LoadAsync(CancellationToken cancellationToken) =>
        Task.FromResult(DirectoryScanner.Load(FatTree.FromListing(_volume.List(Directory)), Directory, _definition.Patterns, DirectoryScanner.EntryKind.RegularFile));

    public Task RemoveTemporariesAsync(CancellationToken cancellationToken)
    {
        if (!_definition.RemoveTemporary)
        {
            return Task.CompletedTask;
        }

        foreach (var entry in _volume.List(Directory))
        {
            var name = entry.RelativePath[(entry.RelativePath.LastIndexOf('/') + 1)..];
            if (name.StartsWith(".#", StringComparison.Ordinal) || name.StartsWith(DirectoryScanner.PartialPrefix, StringComparison.Ordinal))
            {
                var path = Join(entry.RelativePath);
                _volume.Delete(path, entry.IsDirectory);
                PruneEmptyParents(path);
                _logger.LogDebug("Removed temporary resource instance '{Path}' from {Volume}.", path, _volume.Description);
            }
        }

        return Task.CompletedTask;
    }

    public Task RemoveAsync(Instance instance, CancellationToken cancellationToken)
    {
        _volume.Delete(instance.Path, isDirectory: false);
        PruneEmptyParents(instance.Path);
        return Task.CompletedTask;
    }

    public PreparedTarget Prepare(InstanceMetadata metadata)
    {
        var name = _definition.Patterns.First.Format(metadata);
        if (!FileSystemTarget.IsSafeRelativePath(name) || !name.Split('/').All(FatVolume.IsPlainName))
        {
            throw new UpdateException($"Formatted pattern is not suitable as a file name on {_volume.Description}, refusing: {UntrustedText.Escape(name)}");
        }

        var final = Join(name);
        var slash = final.LastIndexOf('/');
        var parent = final[..slash];
        var leaf = final[(slash + 1)..];
        return new PreparedFileTarget(
            name,
            final,
            $"{parent}/{FileSystemTarget.InFlightPrefix}{leaf}",
            $"{parent}/{DirectoryScanner.PartialPrefix}{leaf}",
            $"{parent}/{DirectoryScanner.PendingPrefix}{leaf}");
    }

    /// <summary>Nothing to recover: the pending path is derived from the final name.</summary>
    public PendingCopy AdoptPending(PreparedTarget prepared, Instance pending)
    {
        var names = FileSystemTarget.Names(prepared);
        return new PendingCopy(names, new FileLocation(names.PendingPath));
    }

    public async Task<PendingCopy> AcquireAsync(PreparedTarget target, SourcePayload payload, InstanceMetadata metadata, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        var prepared = FileSystemTarget.Names(target);
        var staging = Path.Combine(Path.GetTempPath(), $"image-update-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            await FileSystemTarget.WriteFileAsync(payload, staging, progress, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (metadata.ModificationTimeUsec is { } mtime)
            {
                FileSystem.FileMetadata.SetModificationTime(staging, (long)mtime);
            }

            _volume.CreateDirectories(prepared.InFlightPath[..prepared.InFlightPath.LastIndexOf('/')] is { Length: > 0 } p ? p : "/");
            _volume.CopyIn(staging, prepared.InFlightPath, keepModificationTime: metadata.ModificationTimeUsec is not null);
        }
        finally
        {
            File.Delete(staging);
        }

        CrashPoint.Hit("after-partial-write");
        _volume.Rename(prepared.InFlightPath, prepared.PendingPath);
        CrashPoint.Hit("after-pending");
        return new PendingCopy(prepared, new FileLocation(prepared.PendingPath));
    }

    public Task<string> InstallAsync(PendingCopy pending, CancellationToken cancellationToken)
    {
        var prepared = FileSystemTarget.Names(pending.Target);
        _volume.Rename(prepared.PendingPath, prepared.FinalPath);
        CrashPoint.Hit("after-install-rename");
        return Task.FromResult(prepared.FinalPath);
    }

    public Task<IReadOnlyCollection<string>> RememberedBadAsync(CancellationToken cancellationToken) => Task.FromResult(RememberedBad());

    private IReadOnlyCollection<string> RememberedBad()
    {
        var copy = Path.Combine(Path.GetTempPath(), $"image-update-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            return _volume.CopyOut(Join(BootCounting.BadVersionRecord.FileName), copy)
                ? BootCounting.BadVersionRecord.Parse(File.ReadAllText(copy))
                : [];
        }
        finally
        {
            File.Delete(copy);
        }
    }

    public Task RememberBadAsync(string version, CancellationToken cancellationToken)
    {
        var text = BootCounting.BadVersionRecord.Add(string.Join('\n', RememberedBad()), version);
        var copy = Path.Combine(Path.GetTempPath(), $"image-update-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllText(copy, text);
            _volume.CreateDirectories(Directory);
            _volume.CopyIn(copy, Join(BootCounting.BadVersionRecord.FileName), keepModificationTime: false);
        }
        finally
        {
            File.Delete(copy);
        }

        return Task.CompletedTask;
    }

    private string Join(string relative) => Directory == "/" ? "/" + relative : Directory + "/" + relative;

    private void PruneEmptyParents(string path)
    {
        for (var parent = path[..path.LastIndexOf('/')]; parent.Length > Directory.Length; parent = parent[..parent.LastIndexOf('/')])
        {
            _volume.RemoveDirectoryIfEmpty(parent);
        }
    }
}
