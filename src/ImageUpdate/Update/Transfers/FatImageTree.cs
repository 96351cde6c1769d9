using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Resources;
using ImageUpdate.Platform.Fat;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// A directory of the FAT file system on the ESP or XBOOTLDR partition of a disk image (--image) as an
/// <see cref="IFileTree"/>, changed through <see cref="FatVolume"/>: each step is one mtools command
/// followed by an fsync of the image. A payload is first written (decompressed, and for URL sources
/// hash-checked) to a temporary host file and copied in with one mcopy, so bytes that fail
/// verification never reach the boot partition. Only regular files live here: FAT has no modes,
/// links or read-only flag the boot loader would tolerate (systemd-boot renames entries to count boot
/// tries), so Mode= and ReadOnly= do not apply.
/// </summary>
public sealed class FatImageTree : IFileTree
{
    private readonly FatVolume _volume;

    public FatImageTree(TargetDefinition definition, FatVolume volume, string directory)
    {
        if (definition.Type != ResourceType.RegularFile || definition.CurrentSymlink is not null)
        {
            throw new ArgumentException("Only regular-file targets without CurrentSymlink= live on FAT.", nameof(definition));
        }

        _volume = volume;
        Root = directory.Length > 1 ? directory.TrimEnd('/') : directory;
    }

    /// <summary>The target directory inside the FAT file system.</summary>
    public string Root { get; }

    public bool WritesInPlace => false;

    public bool KeepsReadOnly => false;

    public string NameRefusal => $"Formatted pattern is not suitable as a file name on {_volume.Description}, refusing: ";

    public string Join(string relative) => Root == "/" ? "/" + relative : Root + "/" + relative;

    public bool AcceptsName(string relative) => relative.Split('/').All(FatVolume.IsPlainName);

    public async Task<ResourceInventory> LoadAsync(PatternList patterns, DirectoryScanner.EntryKind kind, CancellationToken cancellationToken) =>
        DirectoryScanner.Load(FatTree.FromListing(await _volume.ListAsync(Root, cancellationToken).ConfigureAwait(false)), Root, patterns, kind);

    /// <summary>The listing covers every depth at once, so leftovers are found at any depth.</summary>
    public async Task<IReadOnlyList<FileTreeEntry>> FindTemporariesAsync(int depth, CancellationToken cancellationToken)
    {
        var found = new List<FileTreeEntry>();
        foreach (var entry in await _volume.ListAsync(Root, cancellationToken).ConfigureAwait(false))
        {
            var name = entry.RelativePath[(entry.RelativePath.LastIndexOf('/') + 1)..];
            if (name.StartsWith(".#", StringComparison.Ordinal) || name.StartsWith(DirectoryScanner.PartialPrefix, StringComparison.Ordinal))
            {
                found.Add(new FileTreeEntry(Join(entry.RelativePath), entry.IsDirectory));
            }
        }

        return found;
    }

    /// <summary>Complete and verified in a host temporary before the first change to the file system.</summary>
    public async Task WriteAsync(SourcePayload payload, string path, InstanceMetadata metadata, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var staging = HostTemporary();
        try
        {
            await PayloadWriter.WriteFileAsync(payload, staging, progress, cancellationToken, (long?)metadata.Size).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();

            // The whole payload is known now and nothing is in the image yet: an ESP without room
            // for it is refused here, naming both sizes, instead of mcopy failing half-way.
            var needed = new FileInfo(staging).Length;
            if (await _volume.FreeBytesAsync(cancellationToken).ConfigureAwait(false) is { } free && free < needed)
            {
                throw new UpdateException(
                    $"Not enough free space on {_volume.Description} for '{UntrustedText.Escape(payload.Description)}': {needed} bytes needed, {free} bytes available, refusing.");
            }

            if (metadata.ModificationTimeUsec is { } mtime)
            {
                Platform.FileSystem.FileMetadata.SetModificationTime(staging, (long)mtime);
            }

            await _volume.CreateDirectoriesAsync(ParentOf(path), cancellationToken).ConfigureAwait(false);
            await _volume.CopyInAsync(staging, path, keepModificationTime: metadata.ModificationTimeUsec is not null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(staging);
        }
    }

    /// <summary>The FAT's free clusters (`mdir`) and the bytes of the files to be removed; every directory of the volume shares them.</summary>
    public async Task<SpaceRoom?> RoomAsync(string directory, IReadOnlyList<FileTreeEntry> removed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(removed);
        if (await _volume.FreeBytesAsync(cancellationToken).ConfigureAwait(false) is not { } free)
        {
            return null;
        }

        var freed = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in removed)
        {
            if (!freed.ContainsKey(entry.Path))
            {
                freed[entry.Path] = await _volume.SizeOfAsync(entry.Path, entry.IsDirectory, cancellationToken).ConfigureAwait(false) ?? 0;
            }
        }

        return new SpaceRoom($"fat:{_volume.ImagePath}@{_volume.Offset}", $"on {_volume.Description}", free, freed);
    }

    /// <summary>Nothing left to do: the time came with the copy, and the image was synced after it.</summary>
    public Task SealAsync(string path, InstanceMetadata metadata, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RenameAsync(string from, string to, CancellationToken cancellationToken) => _volume.RenameAsync(from, to, cancellationToken);

    public Task DeleteAsync(string path, bool isDirectory, CancellationToken cancellationToken) => _volume.DeleteAsync(path, isDirectory, cancellationToken);

    public async Task PruneEmptyParentsAsync(string path, CancellationToken cancellationToken)
    {
        for (var parent = path[..path.LastIndexOf('/')]; parent.Length > Root.Length; parent = parent[..parent.LastIndexOf('/')])
        {
            await _volume.RemoveDirectoryIfEmptyAsync(parent, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Never asked: <see cref="KeepsReadOnly"/> is false and only regular files live here.</summary>
    public Task MakeReadOnlyAsync(string path, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Copied out to a host temporary that goes when the stream is closed.</summary>
    public async Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        var copy = HostTemporary();
        try
        {
            if (!await _volume.CopyOutAsync(path, copy, cancellationToken).ConfigureAwait(false))
            {
                throw new FileNotFoundException($"'{Foundation.Errors.UntrustedText.Escape(path)}' is not on {_volume.Description}.");
            }

            return new FileStream(copy, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        }
        catch
        {
            File.Delete(copy);
            throw;
        }
    }

    public async Task<string?> ReadTextAsync(string path, CancellationToken cancellationToken)
    {
        var copy = HostTemporary();
        try
        {
            return await _volume.CopyOutAsync(path, copy, cancellationToken).ConfigureAwait(false)
                ? await File.ReadAllTextAsync(copy, cancellationToken).ConfigureAwait(false)
                : null;
        }
        finally
        {
            File.Delete(copy);
        }
    }

    /// <summary>One mcopy over the old file.</summary>
    public async Task ReplaceTextAsync(string path, string text, CancellationToken cancellationToken)
    {
        var copy = HostTemporary();
        try
        {
            await File.WriteAllTextAsync(copy, text, cancellationToken).ConfigureAwait(false);
            await _volume.CreateDirectoriesAsync(ParentOf(path), cancellationToken).ConfigureAwait(false);
            await _volume.CopyInAsync(copy, path, keepModificationTime: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    private static string ParentOf(string path) => path[..path.LastIndexOf('/')] is { Length: > 0 } parent ? parent : "/";

    private static string HostTemporary() => Path.Combine(Path.GetTempPath(), $"image-update-{Environment.ProcessId}-{Guid.NewGuid():N}");
}
