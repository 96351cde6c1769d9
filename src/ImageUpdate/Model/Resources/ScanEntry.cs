namespace ImageUpdate.Model.Resources;

/// <summary>
/// One entry: its name, kind, and (where the file system has them) modification time and mode;
/// <see cref="Open"/> lists a directory's own entries.
/// </summary>
public sealed record ScanEntry(string Name, ScanEntryKind Kind, DateTime? ModificationTimeUtc, UnixFileMode? Mode, Func<IScanDirectory>? Descend)
{
    public IScanDirectory Open() => Descend?.Invoke() ?? throw new InvalidOperationException($"'{Name}' is not a directory.");
}
