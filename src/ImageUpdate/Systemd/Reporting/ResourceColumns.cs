using ImageUpdate.Update.Engine;

namespace ImageUpdate.Systemd.Reporting;

/// <summary>
/// The columns of `list VERSION`'s resource table, and which of them sysupdate leaves out: the
/// partition and file-system columns where the target kind has none, and any column no instance
/// has a value for. The table and the JSON `contents` objects show the same columns.
/// </summary>
public static class ResourceColumns
{
    public const int Type = 0, Path = 1, PartitionUuid = 2, PartitionFlags = 3, ModificationTime = 4, Mode = 5, Size = 6,
        TriesDone = 7, TriesLeft = 8, NoAuto = 9, ReadOnly = 10, GrowFileSystem = 11, Sha256 = 12;

    public static IReadOnlyList<string> Names { get; } = ["type", "path", "ptuuid", "ptflags", "mtime", "mode", "size", "tries-done", "tries-left", "noauto", "ro", "growfs", "sha256"];

    public static IReadOnlySet<int> Hidden(VersionDetails details)
    {
        var metadata = details.Resources.Select(row => row.Instance.Metadata).ToList();
        var hidden = new HashSet<int>();
        void HideUnless(bool shown, params int[] columns)
        {
            if (!shown)
            {
                hidden.UnionWith(columns);
            }
        }

        HideUnless(details.ShowPartitionColumns && metadata.Any(m => m.PartitionUuid is not null || m.PartitionFlags is not null), PartitionUuid, PartitionFlags);
        HideUnless(details.ShowFileSystemColumns && metadata.Any(m => m.ModificationTimeUsec is not null || m.Mode is not null), ModificationTime, Mode);
        HideUnless(metadata.Any(m => m.Size is not null), Size);
        HideUnless(metadata.Any(m => m.TriesDone is not null || m.TriesLeft is not null), TriesDone, TriesLeft);
        HideUnless(metadata.Any(m => m.NoAuto is not null), NoAuto);
        HideUnless(metadata.Any(m => m.ReadOnly is not null), ReadOnly);
        HideUnless(metadata.Any(m => m.GrowFileSystem is not null), GrowFileSystem);
        HideUnless(metadata.Any(m => m.Sha256 is not null), Sha256);
        return hidden;
    }
}
