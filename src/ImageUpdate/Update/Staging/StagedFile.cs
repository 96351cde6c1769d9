namespace ImageUpdate.Update.Staging;

/// <summary>A regular file of a validated staged update: its name (always ASCII, see <see cref="StagingName"/>) and its size when validated.</summary>
public sealed record StagedFile(string Name, long Size);
