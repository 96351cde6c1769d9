using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Model.Resources;

/// <summary>
/// One version of one resource, found at a source or a target: a file, a directory, a partition or a
/// manifest entry. <see cref="IsPartial"/> and <see cref="IsPending"/> mark an interrupted or
/// not-yet-installed copy in a target (sysupdate.md §3, "Files and directories").
/// </summary>
public sealed record Instance(string Path, InstanceMetadata Metadata, bool IsPartial = false, bool IsPending = false)
{
    public string Version => Metadata.Version ?? throw new InvalidOperationException("An instance always has a version.");

    /// <summary>Where the resource finds it again: its path (the default), a partition slot or a manifest entry.</summary>
    public InstanceLocation Location { get; init; } = new FileLocation(Path);
}
