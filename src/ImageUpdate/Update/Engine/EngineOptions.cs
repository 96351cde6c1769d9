namespace ImageUpdate.Update.Engine;

/// <summary>The settings every verb shares (the sysupdate command-line options, minus output formatting).</summary>
public sealed record EngineOptions
{
    /// <summary>--root: the file system tree to operate on ("/" when unset).</summary>
    public string Root { get; init; } = "/";

    /// <summary>--definitions: read transfers from this directory only.</summary>
    public string? DefinitionsDirectory { get; init; }

    /// <summary>-C/--component.</summary>
    public string? Component { get; init; }

    /// <summary>--transfer-source: the directory for sources with PathRelativeTo=explicit.</summary>
    public string? TransferSource { get; init; }

    /// <summary>-m/--instances-max: overrides InstancesMax= of every transfer.</summary>
    public int? InstancesMax { get; init; }

    /// <summary>--sync: sync() after vacuum and after acquiring (default yes).</summary>
    public bool Sync { get; init; } = true;

    /// <summary>--verify: overrides Verify= of every transfer when set.</summary>
    public bool? Verify { get; init; }

    /// <summary>--keyring: the trusted OpenPGP keys; else the first of sysupdate's import-pubring files under the root.</summary>
    public string? Keyring { get; init; }

    /// <summary>--reboot: after installing a version newer than the booted one, reboot.</summary>
    public bool Reboot { get; init; }

    /// <summary>
    /// --cleanup: after update or acquire, remove the files the installation database records that no
    /// enabled transfer owns any more (as the `cleanup` verb); null when not given (262: off).
    /// </summary>
    public bool? Cleanup { get; init; }

    /// <summary>--offline: do not look at the sources at all.</summary>
    public bool Offline { get; init; }

    /// <summary>
    /// --seed: files or block devices besides the target's own instances whose chunks a payload
    /// rebuilt from a chunk index (P.caibx) may reuse.
    /// </summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>
    /// --image: a disk image file to operate on instead of the host: Path=auto partition targets are
    /// its GPT, and ESP/XBOOTLDR/boot file targets its FAT partitions (changed through mtools).
    /// </summary>
    public string? Image { get; init; }

    /// <summary>
    /// With <see cref="Image"/>: the time new entries on its FAT partitions get, so a built image is
    /// reproducible (build-image sets it from SOURCE_DATE_EPOCH); null: now.
    /// </summary>
    public DateTimeOffset? ImageTimestamp { get; init; }

    /// <summary>The environment variables the library honours, read once by the program; none by default.</summary>
    public HostEnvironment Environment { get; init; } = HostEnvironment.Empty;

    public bool IsRooted => Root != "/";
}
