using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Resources;
using ImageUpdate.Platform.FileSystem;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// A directory of the host as an <see cref="IFileTree"/>: files are written in place, and with sync
/// on, each copy is fsynced (a file) or its file system synced (a directory) before it is renamed,
/// and every rename syncs its directory. Directory targets take directory and tar payloads; subvolume
/// targets make each instance a BTRFS subvolume (a plain directory off BTRFS, as sysupdate falls
/// back) through the handed-in <see cref="Platform.Btrfs.IBtrfs"/>. ReadOnly= sets the read-only flag of a
/// file, the BTRFS read-only flag of a subvolume, and makes a directory immutable (chattr +i).
/// </summary>
public sealed class HostDirectoryTree : IFileTree
{
    private readonly ResourceType _type;
    private readonly bool _sync;
    private readonly ILogger _logger;
    private readonly Platform.Btrfs.IBtrfs _btrfs;

    /// <param name="btrfs">Subvolume operations: the engine's <c>EngineServices.Btrfs</c>.</param>
    public HostDirectoryTree(TargetDefinition definition, string directory, bool sync, ILogger logger, Platform.Btrfs.IBtrfs btrfs)
    {
        if (definition.Type is not (ResourceType.RegularFile or ResourceType.Directory or ResourceType.Subvolume))
        {
            throw new ArgumentException("Only regular-file, directory and subvolume targets live in a directory.", nameof(definition));
        }

        _type = definition.Type;
        Root = directory;
        _sync = sync;
        _logger = logger;
        _btrfs = btrfs;
    }

    public string Root { get; }

    public bool WritesInPlace => true;

    public bool KeepsReadOnly => true;

    public string NameRefusal => "Formatted pattern is not suitable as file name, refusing: ";

    private bool IsFile => _type == ResourceType.RegularFile;

    private bool WantsSubvolume => _type == ResourceType.Subvolume;

    public string Join(string relative) => Path.Combine(Root, relative);

    public bool AcceptsName(string relative) => true;

    public Task<ResourceInventory> LoadAsync(PatternList patterns, DirectoryScanner.EntryKind kind, CancellationToken cancellationToken) =>
        Task.FromResult(DirectoryScanner.Load(Root, patterns, kind));

    public Task<IReadOnlyList<FileTreeEntry>> FindTemporariesAsync(int depth, CancellationToken cancellationToken)
    {
        var found = new List<FileTreeEntry>();
        if (System.IO.Directory.Exists(Root))
        {
            FindTemporaries(new DirectoryInfo(Root), depth, found);
        }

        return Task.FromResult<IReadOnlyList<FileTreeEntry>>(found);
    }

    private static void FindTemporaries(DirectoryInfo directory, int depth, List<FileTreeEntry> found)
    {
        foreach (var entry in directory.EnumerateFileSystemInfos().ToList())
        {
            if (entry.Name.StartsWith(".#", StringComparison.Ordinal) ||
                entry.Name.StartsWith(DirectoryScanner.PartialPrefix, StringComparison.Ordinal))
            {
                found.Add(new FileTreeEntry(entry.FullName, entry is DirectoryInfo));
            }
            else if (depth > 0 && entry is DirectoryInfo subdirectory && entry.LinkTarget is null)
            {
                FindTemporaries(subdirectory, depth - 1, found);
            }
        }
    }

    /// <summary>
    /// statfs(2) of the directory (or its nearest existing parent), and the blocks the removed files
    /// and trees take (each file's size rounded up to the block size; hard links counted once each).
    /// </summary>
    public Task<SpaceRoom?> RoomAsync(string directory, IReadOnlyList<FileTreeEntry> removed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(removed);
        if (FreeSpace.Describe(directory) is not { } room)
        {
            return Task.FromResult<SpaceRoom?>(null);
        }

        var freed = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in removed)
        {
            // Counted only when it lies on the same file system as the new copy (its parent is asked:
            // a removed btrfs subvolume reports an fsid of its own).
            if (!freed.ContainsKey(entry.Path) && FreeSpace.Describe(Path.GetDirectoryName(entry.Path)!) is { FileSystemId: var id } && id == room.FileSystemId)
            {
                freed[entry.Path] = BlocksOf(entry.Path, room.BlockSize);
            }
        }

        return Task.FromResult<SpaceRoom?>(new SpaceRoom(room.FileSystemId.ToString("x", System.Globalization.CultureInfo.InvariantCulture), $"in '{Foundation.Errors.UntrustedText.Escape(directory)}'", room.Available, freed));
    }

    private static long BlocksOf(string path, long blockSize)
    {
        static long Round(long size, long block) => (size + block - 1) / block * block;
        switch (FileMetadata.TryGetStatus(path))
        {
            case { Kind: FileKind.Regular, Size: var size }:
                return Round(size, blockSize);
            case { Kind: FileKind.Directory }:
                var total = 0L;
                try
                {
                    foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
                    {
                        if (file.LinkTarget is null)
                        {
                            total += Round(file.Length, blockSize);
                        }
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // What could be counted is counted: less room than there will be, never more.
                }

                return total;
            default:
                return 0;
        }
    }

    public async Task WriteAsync(SourcePayload payload, string path, InstanceMetadata metadata, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        // A leftover of an interrupted write (kept with RemoveTemporary=no) is never resumed from.
        if (FileMetadata.TryGetStatus(path) is not null)
        {
            RecursiveDelete.Delete(path);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (IsFile)
        {
            await PayloadWriter.WriteFileAsync(payload, path, progress, cancellationToken, (long?)metadata.Size).ConfigureAwait(false);
        }
        else
        {
            if (WantsSubvolume && _btrfs.IsOnBtrfs(Path.GetDirectoryName(path)!))
            {
                _btrfs.CreateSubvolume(path);
            }

            await PayloadWriter.WriteDirectoryAsync(payload, path, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task SealAsync(string path, InstanceMetadata metadata, CancellationToken cancellationToken)
    {
        if (metadata.ModificationTimeUsec is { } mtime)
        {
            FileMetadata.SetModificationTime(path, (long)mtime);
        }

        if (metadata.Mode is { } mode)
        {
            FileMetadata.SetMode(path, (UnixFileMode)mode);
        }

        if (metadata.ReadOnly == true && IsFile)
        {
            ReadOnlyFlag.Apply(path);
        }

        if (_sync)
        {
            if (IsFile)
            {
                Durability.FsyncFile(path);
            }
            else
            {
                Durability.SyncFileSystem(path);
            }
        }

        return Task.CompletedTask;
    }

    public Task RenameAsync(string from, string to, CancellationToken cancellationToken)
    {
        AtomicRename.Rename(from, to, replace: true);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A directory that is a subvolume is deleted as one (a temporary of any target, an instance of a subvolume target).
    /// A regular file on FAT is removed held open (<see cref="Durability.RemoveFileHeld"/>), so that a power cut never
    /// leaves its name over clusters already freed.
    /// </summary>
    public Task DeleteAsync(string path, bool isDirectory, CancellationToken cancellationToken)
    {
        if (isDirectory && (WantsSubvolume || IsTemporary(path)) && _btrfs.IsSubvolume(path))
        {
            _btrfs.DeleteSubvolume(path);
        }
        else if (!isDirectory && FileMetadata.TryGetStatus(path) is { Kind: FileKind.Regular }
            && Foundation.Native.Libc.FileSystemType.Of(Path.GetDirectoryName(path)!) == Foundation.Native.Libc.FileSystemType.Fat)
        {
            Durability.RemoveFileHeld(path);
        }
        else
        {
            RecursiveDelete.Delete(path);
        }

        return Task.CompletedTask;
    }

    public Task PruneEmptyParentsAsync(string path, CancellationToken cancellationToken)
    {
        RecursiveDelete.PruneEmptyParents(path, Root);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A read-only subvolume gets the BTRFS read-only flag; a read-only directory is made immutable
    /// (chattr +i, as sysupdate does). Vacuum clears either before deleting.
    /// </summary>
    public Task MakeReadOnlyAsync(string path, CancellationToken cancellationToken)
    {
        if (WantsSubvolume && _btrfs.IsSubvolume(path))
        {
            _btrfs.SetReadOnly(path, true);
        }
        else if (!FileMetadata.TrySetImmutable(path))
        {
            _logger.LogWarning("Cannot make '{Path}' immutable (the file system has no inode flags, or no CAP_LINUX_IMMUTABLE); it stays writable.", path);
        }

        return Task.CompletedTask;
    }

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous | FileOptions.SequentialScan));

    public async Task<string?> ReadTextAsync(string path, CancellationToken cancellationToken) =>
        File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : null;

    /// <summary>Written beside as a `.#` temporary, synced, and renamed over.</summary>
    public async Task ReplaceTextAsync(string path, string text, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, ".#" + Path.GetFileName(path));
        await File.WriteAllTextAsync(temporary, text, cancellationToken).ConfigureAwait(false);
        if (_sync)
        {
            Durability.FsyncFile(temporary);
        }

        AtomicRename.Rename(temporary, path, replace: true);
    }

    private static bool IsTemporary(string path)
    {
        var name = Path.GetFileName(path);
        return name.StartsWith(".#", StringComparison.Ordinal) || name.StartsWith(DirectoryScanner.PartialPrefix, StringComparison.Ordinal);
    }
}
