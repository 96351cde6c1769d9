namespace ImageUpdate.Update.Imaging;

/// <summary>
/// Extra mkfs arguments from the environment, as systemd-repart 262 takes them
/// (src/shared/mkfs-util.c, mkfs_options_from_env): <c>SYSTEMD_REPART_MKFS_OPTIONS_FSTYPE</c>, the
/// file system type in upper case (<c>SYSTEMD_REPART_MKFS_OPTIONS_EROFS=-Enoinline_data</c>), split at
/// spaces, tabs and line breaks with no quoting (empty words dropped), and appended after every argument
/// repart itself passes, so they can add to or override it.
/// </summary>
public static class RepartMkfsOptions
{
    public const string VariablePrefix = "SYSTEMD_REPART_MKFS_OPTIONS_";

    private static readonly char[] Whitespace = [' ', '\t', '\n', '\r'];

    /// <summary>The variable that holds the extra arguments for <paramref name="fileSystemType"/> (e.g. "erofs").</summary>
    public static string VariableFor(string fileSystemType) => VariablePrefix + fileSystemType.ToUpperInvariant();

    /// <summary>The extra arguments for <paramref name="fileSystemType"/>; none when the variable is unset.</summary>
    public static IReadOnlyList<string> For(IReadOnlyDictionary<string, string> environment, string fileSystemType)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.TryGetValue(VariableFor(fileSystemType), out var value)
            ? value.Split(Whitespace, StringSplitOptions.RemoveEmptyEntries)
            : [];
    }
}
