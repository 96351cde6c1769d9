namespace ImageUpdate.Model.Definitions;

/// <summary>sysupdate.d(5) Type= of a [Source] or [Target] (sysupdate-resource.c resource_type_table).</summary>
public enum ResourceType
{
    /// <summary>url-file: one file per version, downloaded over HTTP(S) (or file://).</summary>
    UrlFile,

    /// <summary>url-tar: a tarball per version, downloaded and unpacked.</summary>
    UrlTar,

    /// <summary>tar: a local tarball per version.</summary>
    Tar,

    /// <summary>regular-file: a local file per version.</summary>
    RegularFile,

    /// <summary>directory: a local directory per version.</summary>
    Directory,

    /// <summary>subvolume: a btrfs subvolume per version.</summary>
    Subvolume,

    /// <summary>partition: a GPT partition slot per version (targets only).</summary>
    Partition,
}
