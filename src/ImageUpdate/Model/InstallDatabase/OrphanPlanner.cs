using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Model.InstallDatabase;

/// <summary>
/// systemd-sysupdate 262's cleanup rule, for one entry below a recorded directory (pure; the caller
/// walks the directory, only regular files and directories, never through a symbolic link): an entry
/// the recorded pattern matches is an orphan unless an enabled transfer with a file-system target in
/// the same directory has a pattern that matches it or asks to look inside it; a directory the
/// recorded pattern only matches inside of (a pattern with '/', or any directory for a '**/' pattern)
/// is descended into. A record is kept while at least one entry it matches is kept.
/// </summary>
public static class OrphanPlanner
{
    /// <param name="directory">The record's directory, inside the root.</param>
    /// <param name="pattern">The record's pattern.</param>
    /// <param name="relativePath">The entry, relative to the record's directory ('/'-separated).</param>
    /// <param name="isDirectory">Whether the entry is a directory (else a regular file).</param>
    /// <param name="owners">The file-system targets of the enabled transfers.</param>
    public static OrphanDecision Decide(string directory, MatchPattern pattern, string relativePath, bool isDirectory, IEnumerable<InstalledTarget> owners)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var match = pattern.Match(relativePath);
        if (match.Kind != PatternMatchKind.Match)
        {
            // 262 descends only on a Retry; a '**/' pattern may match at any depth below, so every
            // directory is one to look inside (262's pattern_match answers Retry for those too).
            return isDirectory && (match.Kind == PatternMatchKind.Retry || pattern.AnyDepth) ? OrphanDecision.Descend : OrphanDecision.Ignore;
        }

        return IsOwned(directory, relativePath, owners) ? OrphanDecision.Keep : OrphanDecision.Remove;
    }

    /// <summary>262's ownership test: the same directory, and a pattern that matches the path or descends into it.</summary>
    public static bool IsOwned(string directory, string relativePath, IEnumerable<InstalledTarget> owners) =>
        owners.Any(o => string.Equals(o.Directory, directory, StringComparison.Ordinal) && o.Patterns.Match(relativePath).Kind != PatternMatchKind.NoMatch);
}
