namespace ImageUpdate.Update.Transfers;

/// <summary>One entry of an <see cref="IFileTree"/>: its absolute path and whether it is a directory.</summary>
public sealed record FileTreeEntry(string Path, bool IsDirectory);
