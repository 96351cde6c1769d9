namespace ImageUpdate.Model.Definitions;

/// <summary>
/// One entry of a search-path listing: the name, the path as found in its directory (what messages
/// show), the file to read (symlinks followed under the root), and whether it masks.
/// </summary>
internal sealed record ConfFile(string Name, string Path, string ReadPath, bool Masked);

/// <summary>
/// systemd's conf_files_list for sysupdate's flags (CONF_FILES_REGULAR|CONF_FILES_FILTER_MASKED;
/// src/basic/conf-files.c): directories searched in order, a name found in an earlier directory
/// shadows the same name later, an empty file or a symlink to /dev/null masks the name in every later
/// directory, hidden (dot) files are skipped, non-regular entries are skipped, and the result is
/// sorted by file name. Symlinks are followed with absolute targets taken relative to the root.
/// </summary>
internal static class ConfFiles
{
    private const int MaxSymlinks = 32;

    public static List<ConfFile> List(IEnumerable<string> directories, string suffix, string root)
    {
        var found = new Dictionary<string, ConfFile>(StringComparer.Ordinal);
        foreach (var directory in directories)
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
            {
                var name = System.IO.Path.GetFileName(entry);
                if (name.StartsWith('.') || !name.EndsWith(suffix, StringComparison.Ordinal) || found.ContainsKey(name))
                {
                    continue;
                }

                switch (Classify(entry, root, out var resolved))
                {
                    case Kind.Masked:
                        found[name] = new ConfFile(name, entry, entry, Masked: true);
                        break;
                    case Kind.Regular:
                        found[name] = new ConfFile(name, entry, resolved, Masked: false);
                        break;
                }
            }
        }

        return [.. found.Values.OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    /// <summary>conf_files_list_dropins: DIR/NAME.d/*.conf across the search path, masked ones left out.</summary>
    public static List<ConfFile> ListDropIns(IEnumerable<string> directories, string dropInDirectoryName, string root) =>
        [.. List(directories.Select(d => System.IO.Path.Combine(d, dropInDirectoryName)), ".conf", root).Where(f => !f.Masked)];

    /// <summary>
    /// Directories whose names end in <paramref name="suffix"/>, with earlier directories shadowing later
    /// ones (CONF_FILES_DIRECTORY, as used to list components).
    /// </summary>
    public static List<string> ListDirectoryNames(IEnumerable<string> directories, string suffix, string root)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var directory in directories)
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
            {
                var name = System.IO.Path.GetFileName(entry);
                if (name.StartsWith('.') || !name.EndsWith(suffix, StringComparison.Ordinal) || !seen.Add(name))
                {
                    continue;
                }

                if (Classify(entry, root, out _) == Kind.Directory)
                {
                    found.Add(name);
                }
                else
                {
                    // Not a directory here: the name is free again for a later directory.
                    seen.Remove(name);
                }
            }
        }

        return [.. found];
    }

    private enum Kind
    {
        Missing,
        Masked,
        Regular,
        Directory,
        Other,
    }

    private static Kind Classify(string path, string root, out string resolved)
    {
        resolved = path;
        for (var i = 0; i < MaxSymlinks; i++)
        {
            FileSystemInfo info = new FileInfo(resolved);
            if (!info.Exists)
            {
                info = new DirectoryInfo(resolved);
                if (!info.Exists)
                {
                    return Kind.Missing;
                }
            }

            var target = info.LinkTarget;
            if (target is null)
            {
                if (info is DirectoryInfo)
                {
                    return Kind.Directory;
                }

                // An empty file masks (CONF_FILES_FILTER_MASKED_BY_EMPTY); so does /dev/null itself.
                var file = (FileInfo)info;
                return file.Length == 0 ? Kind.Masked : Kind.Regular;
            }

            if (target.StartsWith('/'))
            {
                // A mask points at /dev/null, which need not exist inside an image.
                if (System.IO.Path.TrimEndingDirectorySeparator(target) == "/dev/null")
                {
                    return Kind.Masked;
                }

                resolved = SpecifierContext.IsHostRoot(root) ? target : System.IO.Path.Join(root, target);
            }
            else
            {
                resolved = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(resolved)!, target);
            }
        }

        return Kind.Other;
    }
}
