using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Diagnostics;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Resources;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// A regular-file, directory or subvolume target whose instances are entries of one directory of a
/// file tree (or of subdirectories when the pattern has '/'): a host directory, or a FAT file system
/// inside a disk image (--image). A new instance is written as `.#sysupdate.partial.NAME` (in flight),
/// sealed, renamed to `.sysupdate.pending.NAME` (acquired), and renamed to NAME on install, each step
/// durable before the next. A crash mid-write leaves only the `.#` leftover, which both image-update
/// and systemd-sysupdate delete as a temporary and never match, so a rerun simply starts over
/// (systemd #42187 makes the user vacuum by hand instead). A copy written in place but rejected (a
/// hash mismatch) is kept as `.sysupdate.partial.NAME`: `list` shows it partial and a retry asks for
/// a vacuum, exactly as sysupdate does. The tree (<see cref="IFileTree"/>) does the single steps.
/// </summary>
public sealed class FileTreeTarget : ITargetResource
{
    /// <summary>The in-flight name: a `.#` temporary to both tools, never an instance.</summary>
    public const string InFlightPrefix = ".#sysupdate.partial.";

    private readonly TargetDefinition _definition;
    private readonly IFileTree _tree;
    private readonly ILogger _logger;

    public FileTreeTarget(TargetDefinition definition, IFileTree tree, ILogger logger)
    {
        _definition = definition;
        _tree = tree;
        _logger = logger;
    }

    /// <summary>The target directory, as the tree spells it.</summary>
    public string Directory => _tree.Root;

    /// <summary>
    /// The installed files copied out to host temporaries, open (each goes when its stream is closed),
    /// when the tree is not host files (an image's FAT partition): what a delta rebuild seeds from.
    /// </summary>
    public Task<IReadOnlyList<FileStream>> HostCopiesAsync(IEnumerable<string> paths, CancellationToken cancellationToken) =>
        _tree is FatImageTree
            ? HostCopiesAsync(_tree.OpenReadAsync, paths, _logger, cancellationToken)
            : Task.FromResult<IReadOnlyList<FileStream>>([]);

    /// <summary>
    /// Each path opened through <paramref name="open"/>; a seed is only an optimisation, so one that
    /// cannot be copied out (an I/O or mtools failure) is logged and skipped. On a throw or cancel the
    /// copies already opened are closed, which deletes them.
    /// </summary>
    internal static async Task<IReadOnlyList<FileStream>> HostCopiesAsync(
        Func<string, CancellationToken, Task<Stream>> open, IEnumerable<string> paths, ILogger logger, CancellationToken cancellationToken)
    {
        var copies = new List<FileStream>();
        try
        {
            foreach (var path in paths)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    var stream = await open(path, cancellationToken).ConfigureAwait(false);
                    if (stream is FileStream copy)
                    {
                        copies.Add(copy);
                    }
                    else
                    {
                        await stream.DisposeAsync().ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is IOException or ImageUpdateException && !cancellationToken.IsCancellationRequested)
                {
                    logger.LogDebug("Not seeding from '{Path}': {Error}", UntrustedText.Escape(path), e.Message);
                }
            }
        }
        catch
        {
            foreach (var copy in copies)
            {
                await copy.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return copies;
    }

    /// <summary>
    /// The copies interrupted writes left of this regular-file target's instances in a host directory
    /// (`.#sysupdate.partial.NAME`, NAME matching the target's patterns): what a rebuild of the rerun
    /// may seed from. Found before making room removes them; none for a directory target or an image's
    /// FAT tree. (A copy that failed its check, `.sysupdate.partial.NAME`, is an instance: the rerun of
    /// its version asks for a vacuum first, as sysupdate does.)
    /// </summary>
    public async Task<IReadOnlyList<string>> LeftoverCopiesAsync(CancellationToken cancellationToken)
    {
        if (!IsFile || _tree is not HostDirectoryTree)
        {
            return [];
        }

        var depth = _definition.Patterns.Patterns.Max(p => p.SlashCount);
        var found = new List<string>();
        foreach (var entry in await _tree.FindTemporariesAsync(depth, cancellationToken).ConfigureAwait(false))
        {
            var leaf = Path.GetFileName(entry.Path);
            var name = leaf.StartsWith(InFlightPrefix, StringComparison.Ordinal) ? leaf[InFlightPrefix.Length..] : null;
            var parent = Path.GetRelativePath(_tree.Root, Path.GetDirectoryName(entry.Path)!);
            var relative = name is null || parent == "." ? name : Path.Join(parent, name);
            if (!entry.IsDirectory && relative is { Length: > 0 } && _definition.Patterns.Match(relative).Kind == PatternMatchKind.Match)
            {
                found.Add(entry.Path);
            }
        }

        return found;
    }

    private bool IsFile => _definition.Type == ResourceType.RegularFile;

    public Task<ResourceInventory> LoadAsync(CancellationToken cancellationToken) =>
        _tree.LoadAsync(_definition.Patterns, IsFile ? DirectoryScanner.EntryKind.RegularFile : DirectoryScanner.EntryKind.Directory, cancellationToken);

    public async Task RemoveTemporariesAsync(CancellationToken cancellationToken)
    {
        if (!_definition.RemoveTemporary)
        {
            return;
        }

        // Temporaries live next to the final names, so as deep as the patterns' '/' parts reach
        // (uki_@v.efi.extra.d/extra.addon.efi writes inside uki_V.efi.extra.d/).
        var depth = _definition.Patterns.Patterns.Max(p => p.SlashCount);
        foreach (var entry in await _tree.FindTemporariesAsync(depth, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await _tree.DeleteAsync(entry.Path, entry.IsDirectory, cancellationToken).ConfigureAwait(false);
                await _tree.PruneEmptyParentsAsync(entry.Path, cancellationToken).ConfigureAwait(false);
                _logger.LogDebug("Removed temporary resource instance '{Path}'.", entry.Path);
            }
            catch (IOException e)
            {
                _logger.LogWarning("Failed to remove temporary resource instance '{Path}', ignoring: {Error}", entry.Path, e.Message);
            }
        }
    }

    public async Task RemoveAsync(Instance instance, CancellationToken cancellationToken)
    {
        try
        {
            await _tree.DeleteAsync(instance.Path, isDirectory: !IsFile, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new UpdateException($"Failed to make room, deleting '{UntrustedText.Escape(instance.Path)}' failed: {e.Message}", e);
        }

        await _tree.PruneEmptyParentsAsync(instance.Path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The file system the new copy goes to (the tree's root when none is written), with what removing
    /// <paramref name="removed"/> and this target's leftovers frees, by path (the engine counts a path
    /// two targets sharing a directory name once); nothing when making room skips this target.
    /// </summary>
    public async Task<TargetRoom?> RoomAsync(PreparedTarget? prepared, IReadOnlyList<Instance>? removed, CancellationToken cancellationToken)
    {
        var entries = (removed ?? []).Select(i => new FileTreeEntry(i.Path, !IsFile)).ToList();
        if (removed is not null && _definition.RemoveTemporary)
        {
            var depth = _definition.Patterns.Patterns.Max(p => p.SlashCount);
            entries.AddRange((await _tree.FindTemporariesAsync(depth, cancellationToken).ConfigureAwait(false)).Where(t => entries.All(e => e.Path != t.Path)));
        }

        var directory = prepared is null ? _tree.Root : Path.GetDirectoryName(Names(prepared).FinalPath)!;
        return await _tree.RoomAsync(directory, entries, cancellationToken).ConfigureAwait(false);
    }

    public PreparedTarget Prepare(InstanceMetadata metadata)
    {
        var name = _definition.Patterns.First.Format(metadata);
        if (!IsSafeRelativePath(name) || !_tree.AcceptsName(name))
        {
            throw new UpdateException(_tree.NameRefusal + UntrustedText.Escape(name));
        }

        var final = _tree.Join(name);
        var parent = Path.GetDirectoryName(final)!;
        var leaf = Path.GetFileName(final);
        return new PreparedFileTarget(
            name,
            final,
            Path.Combine(parent, InFlightPrefix + leaf),
            Path.Combine(parent, DirectoryScanner.PartialPrefix + leaf),
            Path.Combine(parent, DirectoryScanner.PendingPrefix + leaf))
        {
            ReadOnly = _tree.KeepsReadOnly && metadata.ReadOnly == true,
        };
    }

    /// <summary>Nothing to recover: the pending path is derived from the final name.</summary>
    public PendingCopy AdoptPending(PreparedTarget prepared, Instance pending)
    {
        var names = Names(prepared);
        return new PendingCopy(names, new FileLocation(names.PendingPath));
    }

    public async Task<PendingCopy> AcquireAsync(PreparedTarget prepared, SourcePayload payload, InstanceMetadata metadata, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var written = await WriteAsync(prepared, payload, metadata, progress, cancellationToken).ConfigureAwait(false);
        return await MarkPendingAsync(written, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The payload into the in-flight name, sealed (attributes, fsync); it stays a temporary until <see cref="MarkPendingAsync"/>.</summary>
    public async Task<WrittenCopy> WriteAsync(PreparedTarget prepared, SourcePayload payload, InstanceMetadata metadata, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var names = Names(prepared);
        try
        {
            await _tree.WriteAsync(payload, names.InFlightPath, metadata, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (VerificationException) when (_tree.WritesInPlace)
        {
            // Written but rejected: keep it where `list` shows it partial and vacuum removes it.
            await _tree.RenameAsync(names.InFlightPath, names.PartialPath, cancellationToken).ConfigureAwait(false);
            throw;
        }
        catch (Exception)
        {
            // Any other failure while writing (ENOSPC, a read error, a cancel): the half-written copy
            // is of no use, and left behind it would keep a small ESP full until the next run.
            await RemoveInFlightAsync(names.InFlightPath).ConfigureAwait(false);
            throw;
        }

        CrashPoint.Hit("after-partial-write");
        await _tree.SealAsync(names.InFlightPath, metadata, cancellationToken).ConfigureAwait(false);
        return new WrittenCopy(names, new FileLocation(names.InFlightPath), metadata);
    }

    public async Task<PendingCopy> MarkPendingAsync(WrittenCopy written, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(written);
        var names = Names(written.Target);
        await _tree.RenameAsync(names.InFlightPath, names.PendingPath, cancellationToken).ConfigureAwait(false);
        CrashPoint.Hit("after-pending");
        return new PendingCopy(names, new FileLocation(names.PendingPath));
    }

    /// <summary>Rejected by a check of its version: kept as `.sysupdate.partial.NAME`, as a copy that failed its hash.</summary>
    public async Task RejectAsync(WrittenCopy written, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(written);
        var names = Names(written.Target);
        await _tree.RenameAsync(names.InFlightPath, names.PartialPath, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Stream> OpenReadAsync(InstanceLocation location, CancellationToken cancellationToken) =>
        location is FileLocation file && IsFile
            ? await _tree.OpenReadAsync(file.Path, cancellationToken).ConfigureAwait(false)
            : throw new InvalidOperationException($"Instance '{location}' is not a file of this target.");

    /// <summary>Best effort: the write's own error is the one to report, and the next run removes any `.#` leftover anyway.</summary>
    private async Task RemoveInFlightAsync(string path)
    {
        try
        {
            await _tree.DeleteAsync(path, isDirectory: !IsFile, CancellationToken.None).ConfigureAwait(false);
            await _tree.PruneEmptyParentsAsync(path, CancellationToken.None).ConfigureAwait(false);
            _logger.LogDebug("Removed the incomplete copy '{Path}'.", path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageUpdateException)
        {
            _logger.LogDebug("Could not remove the incomplete copy '{Path}': {Error}", path, e.Message);
        }
    }

    public async Task<string> InstallAsync(PendingCopy pending, CancellationToken cancellationToken)
    {
        var names = Names(pending.Target);
        await _tree.RenameAsync(names.PendingPath, names.FinalPath, cancellationToken).ConfigureAwait(false);
        CrashPoint.Hit("after-install-rename");

        // Read-only only once it has its final name: an immutable directory could not be renamed.
        if (names.ReadOnly && !IsFile)
        {
            await _tree.MakeReadOnlyAsync(names.FinalPath, cancellationToken).ConfigureAwait(false);
        }

        return names.FinalPath;
    }

    public async Task<IReadOnlyCollection<string>> RememberedBadAsync(CancellationToken cancellationToken) =>
        await _tree.ReadTextAsync(_tree.Join(BadVersionRecord.FileName), cancellationToken).ConfigureAwait(false) is { } text
            ? BadVersionRecord.Parse(text)
            : [];

    public async Task RememberBadAsync(string version, CancellationToken cancellationToken)
    {
        var path = _tree.Join(BadVersionRecord.FileName);
        var text = BadVersionRecord.Add(await _tree.ReadTextAsync(path, cancellationToken).ConfigureAwait(false), version);
        await _tree.ReplaceTextAsync(path, text, cancellationToken).ConfigureAwait(false);
    }

    internal static PreparedFileTarget Names(PreparedTarget prepared) =>
        prepared as PreparedFileTarget ?? throw new ArgumentException("A file target takes only the names it prepared.", nameof(prepared));

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
