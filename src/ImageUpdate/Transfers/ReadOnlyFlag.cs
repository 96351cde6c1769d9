namespace ImageUpdate.Transfers;

/// <summary>
/// ReadOnly=yes for file-system targets: a file loses its write bits; a plain directory tree loses
/// the write bits of every entry (a reversible stand-in for `chattr +i`, which would also forbid the
/// pending -> final rename). Subvolume targets use the btrfs read-only property instead.
/// </summary>
internal static class ReadOnlyFlag
{
    private const UnixFileMode WriteBits = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    public static void Apply(string path, bool isFile)
    {
        if (isFile)
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~WriteBits);
            return;
        }

        // Children first: a directory without write bits still lets root change its entries' modes,
        // but walking bottom-up keeps the rule simple for non-root callers too.
        foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                     .Reverse())
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            entry.UnixFileMode &= ~WriteBits;
        }

        var root = new DirectoryInfo(path);
        root.UnixFileMode &= ~WriteBits;
    }
}
