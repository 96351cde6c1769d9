namespace ImageUpdate.Formats.Verification;

/// <summary>
/// Where the trusted keyring is: <c>--keyring FILE</c> when given, else the first existing of the
/// paths systemd-pull uses (sysupdate.md §3, src/import/pull-common.c), looked up under the root.
/// </summary>
public static class KeyringLocator
{
    public static readonly IReadOnlyList<string> DefaultPaths =
    [
        "/etc/systemd/import-pubring.pgp",
        "/etc/systemd/import-pubring.gpg",
        "/usr/lib/systemd/import-pubring.pgp",
    ];

    /// <summary>
    /// The keyring to use, or null when none exists. An explicit <paramref name="keyringOption"/> is
    /// returned as given (not put under the root, it names a file on the running system), whether or
    /// not it exists, so that a typo fails loudly when it is read instead of falling back.
    /// </summary>
    public static string? Find(string? keyringOption, string root = "/")
    {
        if (!string.IsNullOrEmpty(keyringOption))
        {
            return keyringOption;
        }

        foreach (var path in DefaultPaths)
        {
            var candidate = root.TrimEnd('/') + path;
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
