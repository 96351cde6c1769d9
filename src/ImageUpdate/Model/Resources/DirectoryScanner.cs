using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Model.Resources;

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
        var root = new DirectoryInfo(directory);
        return root.Exists ? Load(new HostDirectory(root), directory, patterns, kind) : ResourceInventory.Empty;
    }

    /// <summary>The same matching over any tree (a FAT file system inside a disk image, say).</summary>
    public static ResourceInventory Load(IScanDirectory root, string resourcePath, PatternList patterns, EntryKind kind)
    {
        var found = new List<Instance>();
        var anyDepth = patterns.Patterns.Any(static p => p.AnyDepth);
        Scan(root, resourcePath, relative: null, relativeForMatching: null, patterns, kind, anyDepth, partial: false, pending: false, found);
        return new ResourceInventory(found);
    }

    private static void Scan(
        IScanDirectory dir,
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
        foreach (var entry in dir.Entries())
        {
            // Symbolic links and special files are never instances, and links are never descended into.
            var isDirectory = entry.Kind == ScanEntryKind.Directory;
            var isRegular = entry.Kind == ScanEntryKind.Regular;
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
                Scan(entry.Open(), resourcePath, rel, relMatch, patterns, kind, anyDepth, entryPartial, entryPending, found);
                continue;
            }

            // A directory is descended into when any pattern asks for it, whether or not another
            // pattern matches its name (systemd 262: the order of MatchPattern= values does not matter).
            var match = patterns.Match(relMatch);
            if (isDirectory && patterns.Descends(relMatch))
            {
                Scan(entry.Open(), resourcePath, rel, relMatch, patterns, kind, anyDepth, entryPartial, entryPending, found);
            }

            if (match.Kind == PatternMatchKind.Retry)
            {
                continue;
            }

            if (match.Kind == PatternMatchKind.NoMatch || (isDirectory && kind != EntryKind.Directory))
            {
                continue;
            }

            var metadata = match.Metadata!;
            if (metadata.ModificationTimeUsec is null && entry.ModificationTimeUtc is { } modified)
            {
                var usec = (ulong)((modified - DateTime.UnixEpoch).Ticks / 10);
                metadata = metadata with { ModificationTimeUsec = usec == 0 ? null : usec };
            }

            if (metadata.Mode is null && entry.Mode is { } mode)
            {
                // Mask out world-writability, setuid and friends, as sysupdate does.
                metadata = metadata with { Mode = (uint)mode & 0x1FD /* 0775 */ };
            }

            found.Add(new Instance(Path.Combine(resourcePath, rel), metadata, entryPartial, entryPending));
        }
    }

    /// <summary>A directory of the host's file systems.</summary>
    private sealed class HostDirectory(DirectoryInfo directory) : IScanDirectory
    {
        public IEnumerable<ScanEntry> Entries()
        {
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = directory.EnumerateFileSystemInfos();
            }
            catch (DirectoryNotFoundException)
            {
                yield break;
            }

            foreach (var entry in entries)
            {
                // d_type says DT_LNK for a symbolic link; FileInfo also covers FIFOs, sockets and devices.
                var kind = entry.LinkTarget is not null || (entry.Attributes & FileAttributes.ReparsePoint) != 0 ? ScanEntryKind.Other
                    : entry is DirectoryInfo ? ScanEntryKind.Directory
                    : Platform.FileSystem.FileMetadata.TryGetStatus(entry.FullName) is { Kind: Platform.FileSystem.FileKind.Regular } ? ScanEntryKind.Regular
                    : ScanEntryKind.Other;
                yield return new ScanEntry(entry.Name, kind, entry.LastWriteTimeUtc, entry.UnixFileMode, entry is DirectoryInfo d ? () => new HostDirectory(d) : null);
            }
        }
    }
}
