using ImageUpdate.Model.Resources;
using ImageUpdate.Platform.Fat;

namespace ImageUpdate.Update.Transfers;

/// <summary>A FAT listing (from <see cref="FatVolume.ListAsync"/>) as a tree the <see cref="DirectoryScanner"/> can walk.</summary>
public sealed class FatTree : IScanDirectory
{
    private readonly Dictionary<string, FatTree> _directories = new(StringComparer.Ordinal);
    private readonly List<string> _files = [];

    private FatTree()
    {
    }

    public static FatTree FromListing(IEnumerable<FatEntry> entries)
    {
        var root = new FatTree();
        foreach (var entry in entries)
        {
            var parts = entry.RelativePath.Split('/');
            var node = root;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                node = node.Child(parts[i]);
            }

            if (entry.IsDirectory)
            {
                node.Child(parts[^1]);
            }
            else
            {
                node._files.Add(parts[^1]);
            }
        }

        return root;
    }

    public IEnumerable<ScanEntry> Entries()
    {
        // FAT keeps no modes; its times are local-time and two-second grained: leave both to the pattern.
        foreach (var (name, directory) in _directories)
        {
            yield return new ScanEntry(name, ScanEntryKind.Directory, null, null, () => directory);
        }

        foreach (var name in _files)
        {
            yield return new ScanEntry(name, ScanEntryKind.Regular, null, null, null);
        }
    }

    private FatTree Child(string name)
    {
        if (!_directories.TryGetValue(name, out var child))
        {
            child = new FatTree();
            _directories[name] = child;
        }

        return child;
    }
}
