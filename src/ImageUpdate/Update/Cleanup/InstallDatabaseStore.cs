using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.InstallDatabase;
using ImageUpdate.Platform.FileSystem;

namespace ImageUpdate.Update.Cleanup;

/// <summary>
/// One component's installation database on disk (<see cref="InstallDatabaseLayout"/>), below a root:
/// records are added atomically (a link made under a temporary name, renamed into place, the
/// directory fsynced), read as (name, target) pairs and removed. Reading never writes.
/// </summary>
public sealed class InstallDatabaseStore
{
    private readonly string _root;

    /// <param name="root">The file system root ("/" for the host).</param>
    /// <param name="component">The component, or null for the default set.</param>
    public InstallDatabaseStore(string root, string? component)
    {
        _root = Path.GetFullPath(root);
        Component = component;
        Directory = RootedPath.Resolve(_root, InstallDatabaseLayout.DirectoryOf(component));
    }

    public string? Component { get; }

    /// <summary>The database directory, resolved inside the root (it may not exist).</summary>
    public string Directory { get; }

    /// <summary>
    /// Records <paramref name="record"/>: nothing when its entry is already there and right; otherwise
    /// the entry is (re)made atomically, its directory and the missing parents created 0755.
    /// </summary>
    public void Add(InstallRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var entry = Path.Join(Directory, record.Key);
        if (FileMetadata.TryGetStatus(entry) is { Kind: FileKind.SymbolicLink } && new FileInfo(entry).LinkTarget == record.Value)
        {
            return;
        }

        CreateDirectories();
        AtomicSymlink.Replace(entry, record.Value);
    }

    /// <summary>Every entry that is a symbolic link, by name with its target; null when the database does not exist.</summary>
    public IReadOnlyList<(string Key, string Value)>? ReadEntries()
    {
        var status = FileMetadata.TryGetStatus(Directory);
        if (status is null)
        {
            return null;
        }

        if (status.Kind != FileKind.Directory)
        {
            throw new UpdateException($"Failed to open install database '{UntrustedText.Escape(Directory)}': Not a directory");
        }

        var entries = new List<(string, string)>();
        foreach (var path in System.IO.Directory.EnumerateFileSystemEntries(Directory).Order(StringComparer.Ordinal))
        {
            if (FileMetadata.TryGetStatus(path) is not { Kind: FileKind.SymbolicLink } || new FileInfo(path).LinkTarget is not { } target)
            {
                continue;
            }

            entries.Add((Path.GetFileName(path), target));
        }

        return entries;
    }

    /// <summary>The path of the entry named <paramref name="key"/>.</summary>
    public string EntryPath(string key) => Path.Join(Directory, key);

    /// <summary>Removes the entry named <paramref name="key"/> (gone already is fine) and fsyncs the directory.</summary>
    public void Remove(string key)
    {
        var entry = EntryPath(key);
        if (!RecursiveDelete.Delete(entry))
        {
            return;
        }

        Durability.FsyncDirectory(Directory);
    }

    /// <summary>The components that have a database below the root, sorted (262's installdb_list_components).</summary>
    public static IReadOnlyList<string> ListComponents(string root)
    {
        var parent = RootedPath.Resolve(Path.GetFullPath(root), InstallDatabaseLayout.Parent);
        if (FileMetadata.TryGetStatus(parent) is not { Kind: FileKind.Directory })
        {
            return [];
        }

        return System.IO.Directory.EnumerateDirectories(parent)
            .Where(d => FileMetadata.TryGetStatus(d) is { Kind: FileKind.Directory })
            .Select(d => InstallDatabaseLayout.ComponentOf(Path.GetFileName(d)))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private void CreateDirectories()
    {
        var missing = new Stack<string>();
        for (var path = Directory; FileMetadata.TryGetStatus(path) is null; path = Durability.ParentOf(path))
        {
            missing.Push(path);
        }

        while (missing.Count > 0)
        {
            var path = missing.Pop();
            System.IO.Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            Durability.FsyncParentDirectory(path);
        }
    }
}
