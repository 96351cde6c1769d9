namespace ImageUpdate.Update.Transfers;

/// <summary>
/// ReadOnly=yes for a file target: the file loses its write bits before it becomes pending, as
/// sysupdate's install_file(INSTALL_READ_ONLY) does. Directories are made immutable at install
/// instead (see <see cref="HostDirectoryTree.MakeReadOnlyAsync"/>), and their contents keep the payload's modes.
/// </summary>
internal static class ReadOnlyFlag
{
    private const UnixFileMode WriteBits = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    public static void Apply(string path) => File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~WriteBits);
}
