using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// The memory of versions that failed in a boot after their boot entries are vacuumed: without it the
/// verdict lived only in the `+0` name, and a vacuum followed by the next timer run would install (and
/// boot) the failed version again. Kept as a hidden file next to the boot entries
/// (<see cref="FileName"/>: the boot loader only reads `*.efi` and `*.conf` there), one version per
/// line, the newest <see cref="Capacity"/> kept.
/// </summary>
public static class BadVersionRecord
{
    public const string FileName = ".image-update-bad-versions";

    /// <summary>Enough for any real history; the oldest fall off (older versions are not offered anyway).</summary>
    public const int Capacity = 32;

    /// <summary>The versions in a record's text; lines that are not valid versions are ignored.</summary>
    public static IReadOnlyList<string> Parse(string text) =>
        text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && VersionComparer.IsValid(l)).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The record's text after adding <paramref name="version"/>.</summary>
    public static string Add(string? text, string version)
    {
        var versions = Parse(text ?? "").Append(version).Distinct(StringComparer.Ordinal).ToList();
        versions.Sort(VersionComparer.CompareVersions);
        return string.Join('\n', versions.TakeLast(Capacity)) + "\n";
    }
}
