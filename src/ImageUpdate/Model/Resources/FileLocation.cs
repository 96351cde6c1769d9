namespace ImageUpdate.Model.Resources;

/// <summary>A file or directory (a host path, or a path inside a FAT file system).</summary>
public sealed record FileLocation(string Path) : InstanceLocation;
