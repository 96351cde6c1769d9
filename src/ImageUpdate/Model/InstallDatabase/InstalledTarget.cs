using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Model.InstallDatabase;

/// <summary>A file-system target of an enabled transfer as cleanup compares it with the records: its directory inside the root and its patterns.</summary>
/// <param name="Directory">Absolute, as seen from inside the root (the form records hold).</param>
public sealed record InstalledTarget(string Directory, PatternList Patterns);
