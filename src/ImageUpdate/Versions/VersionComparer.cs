namespace ImageUpdate.Versions;

// CONTRACT STUB: the Versions helper replaces the bodies.

/// <summary>Version order exactly as systemd's strverscmp_improved (sysupdate.md §3).</summary>
public sealed class VersionComparer : IComparer<string>
{
    public static readonly VersionComparer Instance = new();

    public static int CompareVersions(string? a, string? b) => throw new NotImplementedException();

    /// <summary>Whether a string is a valid version as sysupdate accepts one (non-empty, charset, file-name safe).</summary>
    public static bool IsValid(string? version) => throw new NotImplementedException();

    public int Compare(string? x, string? y) => CompareVersions(x, y);
}
