using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Model.InstallDatabase;

/// <summary>
/// Reads one installation database entry (its link name and link target) as systemd-sysupdate 262's
/// cleanup does, and stricter where a hostile entry could aim a deletion: the name must be the hash of
/// the target, the target must hold "/./", its directory must be absolute and normalized (no ".", "..",
/// empty or trailing components), and, ours, its pattern must be a valid MatchPattern= (with '@v'), so
/// an entry names files by pattern, never one fixed path. That is no fence: "/./@v" matches every
/// top-level directory whose name is a valid version. The database lives in a root-only directory, and
/// whoever can write it can delete anything anyway. Pure: the caller read the link.
/// </summary>
public static class InstallRecordReader
{
    /// <param name="key">The entry's file name.</param>
    /// <param name="value">The entry's link target.</param>
    /// <param name="entryPath">The entry's path, for the messages.</param>
    public static InstallRecordReading Read(string key, string value, string entryPath)
    {
        var where = $"'{UntrustedText.Escape(entryPath)}' → '{UntrustedText.Escape(value)}'";
        if (!string.Equals(key, InstallRecord.KeyOf(value), StringComparison.Ordinal))
        {
            return InstallRecordReading.Rejected($"Invalid hash of install database entry {where}, expunging.");
        }

        var separator = value.IndexOf(InstallRecord.Separator, StringComparison.Ordinal);
        if (separator < 0)
        {
            return InstallRecordReading.Rejected($"Malformed install database entry {where}, expunging.");
        }

        var directory = value[..separator];
        if (!IsAbsoluteNormalized(directory))
        {
            return InstallRecordReading.Rejected($"Install database path '{UntrustedText.Escape(directory)}' of entry {where} is invalid, expunging database entry.");
        }

        var pattern = value[(separator + InstallRecord.Separator.Length)..];
        if (!Formats.Versions.MatchPattern.IsValid(pattern))
        {
            return InstallRecordReading.Rejected($"Install database pattern '{UntrustedText.Escape(pattern)}' of entry {where} is not a valid pattern, expunging database entry.");
        }

        return InstallRecordReading.Sound(new InstallRecord(directory, pattern));
    }

    /// <summary>systemd's path_is_absolute and path_is_normalized: "/" or "/a/b" without ".", "..", "//" or a trailing '/'.</summary>
    public static bool IsAbsoluteNormalized(string path)
    {
        if (path.Length == 0 || path[0] != '/' || path.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        if (path == "/")
        {
            return true;
        }

        foreach (var component in path[1..].Split('/'))
        {
            if (component is "" or "." or "..")
            {
                return false;
            }
        }

        return true;
    }
}
