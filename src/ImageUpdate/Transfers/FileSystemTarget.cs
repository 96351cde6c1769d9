using ImageUpdate.Archives;
using ImageUpdate.Compression;
using ImageUpdate.Definitions;
using ImageUpdate.Diagnostics;
using ImageUpdate.Errors;
using ImageUpdate.FileSystem;
using ImageUpdate.Resources;
using ImageUpdate.Transfers.Copying;
using ImageUpdate.Versions;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Transfers;

/// <summary>
/// A regular-file or directory target: instances are entries of one directory (or of subdirectories
/// when the pattern has '/'). A new instance is written as `.#sysupdate.partial.NAME` (in flight),
/// synced, renamed to `.sysupdate.pending.NAME` (acquired), and renamed to NAME on install, with the
/// parent synced after every rename. A crash mid-write leaves only the `.#` leftover, which both
/// image-update and systemd-sysupdate delete as a temporary and never match, so a rerun simply
/// starts over (systemd #42187 makes the user vacuum by hand instead). A copy that was written but
/// rejected (a hash mismatch) is kept as `.sysupdate.partial.NAME`: `list` shows it partial and a
/// retry asks for a vacuum, exactly as sysupdate does.
/// </summary>
public sealed class FileSystemTarget : ITargetResource
{
    /// <summary>The in-flight name: a `.#` temporary to both tools, never an instance.</summary>
    public const string InFlightPrefix = ".#sysupdate.partial.";

    private readonly TargetDefinition _definition;
    private readonly ILogger _logger;
    private readonly bool _sync;
    private readonly Btrfs.IBtrfs _btrfs;

    /// <param name="btrfs">Subvolume operations: the engine's <c>EngineServices.Btrfs</c>.</param>
    public FileSystemTarget(TargetDefinition definition, string directory, bool sync, ILogger logger, Btrfs.IBtrfs btrfs)
    {
        if (definition.Type is not (ResourceType.RegularFile or ResourceType.Directory or ResourceType.Subvolume))
        {
            throw new ArgumentException("Only regular-file, directory and subvolume targets live in a directory.", nameof(definition));
        }

        _definition = definition;
        Directory = directory;
        _sync = sync;
        _logger = logger;
        _btrfs = btrfs;
    }

    /// <summary>The resolved target directory.</summary>
    public string Directory { get; }

    private bool IsFile => _definition.Type == ResourceType.RegularFile;

    /// <summary>A subvolume target makes each instance a BTRFS subvolume (a plain directory off BTRFS, as sysupdate falls back).</summary>
    private bool WantsSubvolume => _definition.Type == ResourceType.Subvolume;

    public Task<ResourceInventory> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(DirectoryScanner.Load(
        Directory,
        _definition.Patterns,
        IsFile ? DirectoryScanner.EntryKind.RegularFile : DirectoryScanner.EntryKind.Directory));

    public Task RemoveTemporariesAsync(CancellationToken cancellationToken)
    {
        if (!_definition.RemoveTemporary || !System.IO.Directory.Exists(Directory))
        {
            return Task.CompletedTask;
        }

        // Temporaries live next to the final names, so as deep as the patterns' '/' parts reach
        // (uki_@v.efi.extra.d/extra.addon.efi writes inside uki_V.efi.extra.d/).
        var depth = _definition.Patterns.Patterns.Max(p => p.SlashCount);
        RemoveTemporaries(new DirectoryInfo(Directory), depth);
        return Task.CompletedTask;
    }

    private void RemoveTemporaries(DirectoryInfo directory, int depth)
    {
        foreach (var entry in directory.EnumerateFileSystemInfos().ToList())
        {
            if (entry.Name.StartsWith(".#", StringComparison.Ordinal) ||
                entry.Name.StartsWith(DirectoryScanner.PartialPrefix, StringComparison.Ordinal))
            {
                try
                {
                    if (entry is DirectoryInfo && _btrfs.IsSubvolume(entry.FullName))
                    {
                        _btrfs.DeleteSubvolume(entry.FullName);
                    }
                    else
                    {
                        RecursiveDelete.Delete(entry.FullName);
                    }

                    RecursiveDelete.PruneEmptyParents(entry.FullName, Directory);
                    _logger.LogDebug("Removed temporary resource instance '{Path}'.", entry.FullName);
                }
                catch (IOException e)
                {
                    _logger.LogWarning("Failed to remove temporary resource instance '{Path}', ignoring: {Error}", entry.FullName, e.Message);
                }
            }
            else if (depth > 0 && entry is DirectoryInfo subdirectory && entry.LinkTarget is null)
            {
                RemoveTemporaries(subdirectory, depth - 1);
            }
        }
    }

    public Task RemoveAsync(Instance instance, CancellationToken cancellationToken)
    {
        try
        {
            if (WantsSubvolume && _btrfs.IsSubvolume(instance.Path))
            {
                _btrfs.DeleteSubvolume(instance.Path);
            }
            else
            {
                RecursiveDelete.Delete(instance.Path);
            }
        }
        catch (IOException e)
        {
            throw new UpdateException($"Failed to make room, deleting '{UntrustedText.Escape(instance.Path)}' failed: {e.Message}", e);
        }

        RecursiveDelete.PruneEmptyParents(instance.Path, Directory);
        return Task.CompletedTask;
    }

    public PreparedTarget Prepare(InstanceMetadata metadata)
    {
        var name = _definition.Patterns.First.Format(metadata);
        if (!IsSafeRelativePath(name))
        {
            throw new UpdateException($"Formatted pattern is not suitable as file name, refusing: {UntrustedText.Escape(name)}");
        }

        var final = Path.Combine(Directory, name);
        var parent = Path.GetDirectoryName(final)!;
        var leaf = Path.GetFileName(final);
        return new PreparedFileTarget(
            name,
            final,
            Path.Combine(parent, InFlightPrefix + leaf),
            Path.Combine(parent, DirectoryScanner.PartialPrefix + leaf),
            Path.Combine(parent, DirectoryScanner.PendingPrefix + leaf))
        {
            ReadOnly = metadata.ReadOnly == true,
        };
    }

    /// <summary>Nothing to recover: the pending path is derived from the final name.</summary>
    public PendingCopy AdoptPending(PreparedTarget prepared, Instance pending)
    {
        var names = Names(prepared);
        return new PendingCopy(names, new FileLocation(names.PendingPath));
    }

    public async Task<PendingCopy> AcquireAsync(PreparedTarget prepared, SourcePayload payload, InstanceMetadata metadata, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        var names = Names(prepared);
        var partial = names.InFlightPath;
        var pending = names.PendingPath;
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(partial)!);

        // A leftover of an interrupted write (kept with RemoveTemporary=no) is never resumed from.
        if (FileMetadata.TryGetStatus(partial) is not null)
        {
            RecursiveDelete.Delete(partial);
        }

        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            if (IsFile)
            {
                await WriteFileAsync(payload, partial, progress, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (WantsSubvolume && _btrfs.IsOnBtrfs(Path.GetDirectoryName(partial)!))
                {
                    _btrfs.CreateSubvolume(partial);
                }

                await WriteDirectoryAsync(payload, partial, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is Errors.VerificationException)
        {
            // Written but rejected: keep it where `list` shows it partial and vacuum removes it.
            AtomicRename.Rename(partial, names.PartialPath, replace: true);
            throw;
        }

        CrashPoint.Hit("after-partial-write");

        if (metadata.ModificationTimeUsec is { } mtime)
        {
            FileMetadata.SetModificationTime(partial, (long)mtime);
        }

        if (metadata.Mode is { } mode)
        {
            FileMetadata.SetMode(partial, (UnixFileMode)mode);
        }

        if (metadata.ReadOnly == true && IsFile)
        {
            ReadOnlyFlag.Apply(partial);
        }

        if (_sync)
        {
            if (IsFile)
            {
                Durability.FsyncFile(partial);
            }
            else
            {
                Durability.SyncFileSystem(partial);
            }
        }

        AtomicRename.Rename(partial, pending, replace: true);
        CrashPoint.Hit("after-pending");
        return new PendingCopy(names, new FileLocation(pending));
    }

    public Task<string> InstallAsync(PendingCopy pending, CancellationToken cancellationToken)
    {
        var prepared = Names(pending.Target);
        AtomicRename.Rename(prepared.PendingPath, prepared.FinalPath, replace: true);
        CrashPoint.Hit("after-install-rename");

        // A read-only subvolume gets the BTRFS read-only flag; a read-only directory is made immutable
        // (chattr +i, as sysupdate does) once it has its final name: an immutable directory could not
        // be renamed. Vacuum clears either before deleting.
        if (prepared.ReadOnly && WantsSubvolume && _btrfs.IsSubvolume(prepared.FinalPath))
        {
            _btrfs.SetReadOnly(prepared.FinalPath, true);
        }
        else if (prepared.ReadOnly && !IsFile && !FileMetadata.TrySetImmutable(prepared.FinalPath))
        {
            _logger.LogWarning("Cannot make '{Path}' immutable (the file system has no inode flags, or no CAP_LINUX_IMMUTABLE); it stays writable.", prepared.FinalPath);
        }

        return Task.FromResult(prepared.FinalPath);
    }

    internal static PreparedFileTarget Names(PreparedTarget prepared) =>
        prepared as PreparedFileTarget ?? throw new ArgumentException("A file target takes only the names it prepared.", nameof(prepared));

    internal static async Task WriteFileAsync(SourcePayload payload, string path, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        if (payload.Kind != PayloadKind.File)
        {
            throw new UpdateException($"Cannot write {payload.Kind.ToString().ToLowerInvariant()} source '{UntrustedText.Escape(payload.Description)}' into a regular-file target.");
        }

        await using var source = await payload.OpenAsync(cancellationToken).ConfigureAwait(false);
        var counted = new CountingReadStream(source);
        var (kind, decompressed) = Decompression.OpenAutoDetect(counted);
        await using var input = decompressed.ConfigureAwait(false);
        await using var output = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });

        // Progress against the uncompressed size when anything tells it, else against the bytes read
        // of a source whose length is known (a compressed local file). Reading (decompressing, a URL
        // source's hashing) overlaps with writing; the fsync comes later.
        var rawLength = source.CanSeek ? source.Length : (long?)null;
        var expected = payload.Length ?? (kind == CompressionKind.None ? rawLength : null);
        Action<long>? report = progress is not null && (expected is > 0 || rawLength is > 0)
            ? written => progress.Report(expected is > 0 and var total
                ? Math.Min(1.0, (double)written / total)
                : Math.Min(1.0, (double)counted.BytesRead / rawLength!.Value))
            : null;
        await PipelinedCopy.CopyAsync(decompressed, output.SafeFileHandle, null, 1, 0, long.MaxValue, sync: false, $"'{UntrustedText.Escape(path)}'", report, cancellationToken).ConfigureAwait(false);

        progress?.Report(1.0);
    }

    public Task<IReadOnlyCollection<string>> RememberedBadAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Directory, BootCounting.BadVersionRecord.FileName);
        return Task.FromResult<IReadOnlyCollection<string>>(File.Exists(path) ? BootCounting.BadVersionRecord.Parse(File.ReadAllText(path)) : []);
    }

    public Task RememberBadAsync(string version, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Directory, BootCounting.BadVersionRecord.FileName);
        var text = BootCounting.BadVersionRecord.Add(File.Exists(path) ? File.ReadAllText(path) : null, version);
        var temporary = Path.Combine(Directory, ".#" + BootCounting.BadVersionRecord.FileName);
        File.WriteAllText(temporary, text);
        if (_sync)
        {
            Durability.FsyncFile(temporary);
        }

        AtomicRename.Rename(temporary, path, replace: true);
        return Task.CompletedTask;
    }

    private static async Task WriteDirectoryAsync(SourcePayload payload, string path, CancellationToken cancellationToken)
    {
        switch (payload.Kind)
        {
            case PayloadKind.Directory:
                await TreeCopy.CopyAsync(payload.DirectoryPath!, path, cancellationToken).ConfigureAwait(false);
                break;
            case PayloadKind.Tar:
                await using (var source = await payload.OpenAsync(cancellationToken).ConfigureAwait(false))
                {
                    var (_, decompressed) = Decompression.OpenAutoDetect(source);
                    await using var input = decompressed.ConfigureAwait(false);
                    System.IO.Directory.CreateDirectory(path);
                    await TarExtractor.ExtractAsync(decompressed, path, cancellationToken).ConfigureAwait(false);
                }

                break;
            default:
                throw new UpdateException($"Cannot write file source '{UntrustedText.Escape(payload.Description)}' into a directory target.");
        }
    }

    /// <summary>A relative path of plain names: no '..', '.', empty or absolute parts, no control bytes.</summary>
    internal static bool IsSafeRelativePath(string name)
    {
        if (name.Length == 0 || name.Length > 4096 || name[0] == '/' || name.EndsWith('/'))
        {
            return false;
        }

        foreach (var part in name.Split('/'))
        {
            if (part.Length is 0 or > 255 || part is "." or "..")
            {
                return false;
            }
        }

        return !name.Any(c => char.IsControl(c) || c == 0x7f);
    }
}
