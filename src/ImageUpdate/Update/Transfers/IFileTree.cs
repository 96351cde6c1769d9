using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// The few operations <see cref="FileTreeTarget"/>'s protocol needs from the tree its instances live
/// in: a host directory (<see cref="HostDirectoryTree"/>) or a FAT file system inside a disk image
/// (<see cref="FatImageTree"/>). Paths are absolute, '/'-separated, as the tree spells them. A
/// rename, delete or record change is durable once its call returns (as far as the tree is asked to
/// sync at all); a written copy becomes durable with <see cref="SealAsync"/>.
/// </summary>
public interface IFileTree
{
    /// <summary>The target directory.</summary>
    string Root { get; }

    /// <summary>
    /// True when a payload is written where it will lie (a rejected write is then on the tree, kept
    /// as the rejected copy); false when it is complete and verified elsewhere before the first change.
    /// </summary>
    bool WritesInPlace { get; }

    /// <summary>Whether ReadOnly= (or @r) applies to instances in this tree.</summary>
    bool KeepsReadOnly { get; }

    /// <summary>How the refusal of a formatted name starts: "Formatted pattern is not suitable as …, refusing: ".</summary>
    string NameRefusal { get; }

    /// <summary>A path under <see cref="Root"/>.</summary>
    string Join(string relative);

    /// <summary>Whether the tree can hold this (already safe) relative name.</summary>
    bool AcceptsName(string relative);

    /// <summary>The instances matching <paramref name="patterns"/> under the root.</summary>
    Task<ResourceInventory> LoadAsync(PatternList patterns, DirectoryScanner.EntryKind kind, CancellationToken cancellationToken);

    /// <summary>Entries whose name marks a leftover (`.#…`, `.sysupdate.partial.…`), down to <paramref name="depth"/> levels below the root.</summary>
    Task<IReadOnlyList<FileTreeEntry>> FindTemporariesAsync(int depth, CancellationToken cancellationToken);

    /// <summary>
    /// The room of the file system <paramref name="directory"/> lies on: its free bytes now and what
    /// deleting <paramref name="removed"/> would free there; null when the tree cannot tell.
    /// </summary>
    Task<SpaceRoom?> RoomAsync(string directory, IReadOnlyList<FileTreeEntry> removed, CancellationToken cancellationToken) => Task.FromResult<SpaceRoom?>(null);

    /// <summary>Writes a new file or directory at <paramref name="path"/> from the payload, replacing a leftover there and creating missing parents.</summary>
    Task WriteAsync(SourcePayload payload, string path, InstanceMetadata metadata, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Gives a written copy its attributes (time, mode, read-only flag) and makes it durable.</summary>
    Task SealAsync(string path, InstanceMetadata metadata, CancellationToken cancellationToken);

    /// <summary>Renames within a directory, replacing what has the new name.</summary>
    Task RenameAsync(string from, string to, CancellationToken cancellationToken);

    /// <summary>Deletes a file, or a directory with everything in it.</summary>
    Task DeleteAsync(string path, bool isDirectory, CancellationToken cancellationToken);

    /// <summary>Removes the parents of <paramref name="path"/> that are left empty, up to (not including) the root.</summary>
    Task PruneEmptyParentsAsync(string path, CancellationToken cancellationToken);

    /// <summary>Makes an installed directory or subvolume read-only (ReadOnly=).</summary>
    Task MakeReadOnlyAsync(string path, CancellationToken cancellationToken);

    /// <summary>A regular file's bytes, from the start (a copy's checks read it before it becomes pending).</summary>
    Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>A small file's text; null when there is no such file.</summary>
    Task<string?> ReadTextAsync(string path, CancellationToken cancellationToken);

    /// <summary>Replaces a small file's text.</summary>
    Task ReplaceTextAsync(string path, string text, CancellationToken cancellationToken);
}
