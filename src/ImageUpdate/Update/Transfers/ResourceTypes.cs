using ImageUpdate.Model.Definitions;

namespace ImageUpdate.Update.Transfers;

/// <summary>The names sysupdate gives resource types in its output and definitions.</summary>
public static class ResourceTypes
{
    public static string ToName(ResourceType type) => type switch
    {
        ResourceType.UrlFile => "url-file",
        ResourceType.UrlTar => "url-tar",
        ResourceType.Tar => "tar",
        ResourceType.RegularFile => "regular-file",
        ResourceType.Directory => "directory",
        ResourceType.Subvolume => "subvolume",
        ResourceType.Partition => "partition",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
