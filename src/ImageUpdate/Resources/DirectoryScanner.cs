using ImageUpdate.Versions;

namespace ImageUpdate.Resources;

/// <summary>
/// Finds the instances of a resource that lives in a directory: regular files (regular-file and tar
/// resources) or directories (directory and subvolume resources), matched by the resource's patterns.
/// Follows sysupdate's rules (sysupdate.md §3, "Enumeration"): symbolic links and special files are
/// never instances, `.sysupdate.partial.` / `.sysupdate.pending.` prefixes are stripped before
/// matching and mark the instance, a pattern with '/' descends into subdirectories, a `**/` pattern
/// finds files at any depth, and a missing directory simply has no instances.
/// </summary>
public static class DirectoryScanner
{
    public const string PartialPrefix = ".sysupdate.partial.";
    public const string PendingPrefix = ".sysupdate.pending.";

    public enum EntryKind
    {
        RegularFile,
        Directory,
    }

    public static ResourceInventory Load(string directory, PatternList patterns, EntryKind kind)
    {
        var found = new List<Instance>();
        var root = new DirectoryInfo(directory);
        if (!root.Exists)
        {
            return ResourceInventory.Empty;
        }

        var anyDepth = patterns.Patterns.Any(static p => p.AnyDepth);
        Scan(root, directory, relative: null, relativeForMatching: null, patterns, kind, anyDepth, partial: false, pending: false, found);
        return new ResourceInventory(found);
    }

    private static void Scan(
        DirectoryInfo dir,
        string resourcePath,
        string? relative,
        string? relativeForMatching,
        PatternList patterns,
        EntryKind kind,
        bool anyDepth,
        bool partial,
        bool pending,
        List<Instance> found)
    {
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = dir.EnumerateFileSystemInfos();
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }

        foreach (var entry in entries)
        {
            // A symbolic link is never an instance and never descended into: d_type says DT_LNK.
            if (entry.LinkTarget is not null || (entry.Attributes & FileAttributes.ReparsePoint) != 0)
            {
                continue;
            }

            var isDirectory = entry is DirectoryInfo;
            var isRegular = !isDirectory && IsRegularFile(entry);
            if (!isDirectory && !isRegular)
            {
                continue;
            }

            if (isRegular && kind != EntryKind.RegularFile)
            {
                continue;
            }

            var name = entry.Name;
            var entryPartial = partial;
            var entryPending = pending;
            var nameForMatching = name;
            if (name.StartsWith(PartialPrefix, StringComparison.Ordinal))
            {
                nameForMatching = name[PartialPrefix.Length..];
                entryPartial = true;
                entryPending = false;
            }
            else if (name.StartsWith(PendingPrefix, StringComparison.Ordinal))
            {
                nameForMatching = name[PendingPrefix.Length..];
                entryPending = true;
                entryPartial = false;
            }

            var rel = relative is null ? name : relative + "/" + name;
            var relMatch = relativeForMatching is null ? nameForMatching : relativeForMatching + "/" + nameForMatching;

            if (isDirectory && kind == EntryKind.RegularFile && anyDepth)
            {
                Scan((DirectoryInfo)entry, resourcePath, rel, relMatch, patterns, kind, anyDepth, entryPartial, entryPending, found);
                continue;
            }

            var match = patterns.Match(relMatch);
            if (match.Kind == PatternMatchKind.Retry)
            {
                if (isDirectory)
                {
                    Scan((DirectoryInfo)entry, resourcePath, rel, relMatch, patterns, kind, anyDepth, entryPartial, entryPending, found);
                }

                continue;
            }

            if (match.Kind == PatternMatchKind.NoMatch || (isDirectory && kind != EntryKind.Directory))
            {
                continue;
            }

            var metadata = match.Metadata!;
            if (metadata.ModificationTimeUsec is null)
            {
                var usec = (ulong)((entry.LastWriteTimeUtc - DateTime.UnixEpoch).Ticks / 10);
                metadata = metadata with { ModificationTimeUsec = usec == 0 ? null : usec };
            }

            if (metadata.Mode is null)
            {
                // Mask out world-writability, setuid and friends, as sysupdate does.
                metadata = metadata with { Mode = (uint)entry.UnixFileMode & 0x1FD /* 0775 */ };
            }

            found.Add(new Instance(Path.Combine(resourcePath, rel), metadata, entryPartial, entryPending));
        }
    }

    private static bool IsRegularFile(FileSystemInfo entry)
    {
        // FileInfo covers regular files but also FIFOs, sockets and devices: check the type precisely.
        return FileSystem.FileMetadata.TryGetStatus(entry.FullName) is { Kind: FileSystem.FileKind.Regular };
    }
}
