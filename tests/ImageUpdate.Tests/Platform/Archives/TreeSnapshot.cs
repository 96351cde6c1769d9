using System.Security.Cryptography;
using ImageUpdate.Platform.FileSystem;

namespace ImageUpdate.Tests.Platform.Archives;

/// <summary>Everything the extractor and the copier promise to preserve, per entry, so two trees can be compared with one assert.</summary>
public static class TreeSnapshot
{
    public static SortedDictionary<string, string> Take(string root)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var inodes = new Dictionary<(ulong, ulong), string>();
        Walk(root, ".", entries, inodes);
        return entries;
    }

    private static void Walk(string path, string relative, SortedDictionary<string, string> entries, Dictionary<(ulong, ulong), string> inodes)
    {
        var status = FileMetadata.GetStatus(path);
        var owner = Environment.IsPrivilegedProcess ? $" {status.Uid}:{status.Gid}" : "";
        var description = status.Kind switch
        {
            FileKind.Regular => $"file {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))[..16]}",
            FileKind.SymbolicLink => $"symlink -> {new FileInfo(path).LinkTarget}",
            _ => status.Kind.ToString(),
        };
        var mode = status.Kind == FileKind.SymbolicLink ? "" : $" {Convert.ToString((int)status.Mode, 8)}";
        var hardLink = "";
        if (status.Kind == FileKind.Regular && status.LinkCount > 1)
        {
            // Hard links show as "same inode as the first name that had it".
            hardLink = inodes.TryGetValue((status.Device, status.Inode), out var first) ? $" linked to {first}" : "";
            inodes.TryAdd((status.Device, status.Inode), relative);
        }

        entries[relative] = $"{description}{mode}{owner} mtime {status.ModificationTimeMicroseconds}{hardLink}";
        if (status.Kind == FileKind.Directory)
        {
            foreach (var child in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.Ordinal))
            {
                Walk(child, relative + "/" + Path.GetFileName(child), entries, inodes);
            }
        }
    }
}
