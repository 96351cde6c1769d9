using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// Which keyrings are trusted, as systemd 262's systemd-pull looks them up (pinned against it by
/// Differential/KeyringDifferentialTests): <c>--keyring FILE</c> (ours) or $SYSTEMD_OPENPGP_KEYRING
/// alone when given; otherwise an overlay of the local keyring, /etc/systemd/import-pubring.pgp or,
/// only when that is absent, the legacy /etc/systemd/import-pubring.gpg, and the vendor keyring
/// /usr/lib/systemd/import-pubring.pgp: a key in any of them is trusted. The defaults are looked up
/// under the root (262 reads the host's; ours lets an OS tree carry its own).
/// </summary>
public static class KeyringLocator
{
    /// <summary>The environment variable that names the one keyring to trust instead of the defaults.</summary>
    public const string EnvironmentVariable = "SYSTEMD_OPENPGP_KEYRING";

    public const string LocalKeyring = "/etc/systemd/import-pubring.pgp";

    public const string LegacyLocalKeyring = "/etc/systemd/import-pubring.gpg";

    public const string VendorKeyring = "/usr/lib/systemd/import-pubring.pgp";

    public static readonly IReadOnlyList<string> DefaultPaths = [LocalKeyring, LegacyLocalKeyring, VendorKeyring];

    /// <summary>
    /// The keyrings to trust, in order; empty when none exists. An explicit <paramref name="keyringOption"/>
    /// or <paramref name="environmentKeyring"/> is returned as given, whether or not it exists, so that
    /// a typo fails loudly when it is read instead of falling back.
    /// </summary>
    /// <exception cref="UsageException">$SYSTEMD_OPENPGP_KEYRING is not an absolute, normalized path.</exception>
    public static IReadOnlyList<string> FindAll(string? keyringOption, string? environmentKeyring, string root = "/")
    {
        if (!string.IsNullOrEmpty(keyringOption))
        {
            return [keyringOption];
        }

        if (!string.IsNullOrEmpty(environmentKeyring))
        {
            return IsAbsoluteNormalized(environmentKeyring)
                ? [environmentKeyring]
                : throw new UsageException($"${EnvironmentVariable} must be an absolute, normalized path, got '{UntrustedText.Escape(environmentKeyring)}'.");
        }

        var found = new List<string>();
        var local = Under(root, LocalKeyring);
        var legacy = Under(root, LegacyLocalKeyring);
        if (File.Exists(local))
        {
            found.Add(local);
        }
        else if (File.Exists(legacy))
        {
            found.Add(legacy);
        }

        var vendor = Under(root, VendorKeyring);
        if (File.Exists(vendor))
        {
            found.Add(vendor);
        }

        return found;
    }

    private static string Under(string root, string path) => root.TrimEnd('/') + path;

    private static bool IsAbsoluteNormalized(string path) =>
        path.StartsWith('/') && (path == "/" || path[1..].Split('/').All(c => c is not ("" or "." or "..")));
}
