namespace ImageUpdate.Formats.Versions;

/// <summary>
/// What a MatchPattern captures from an instance name (or what is formatted into a new name).
/// Every field but <see cref="Version"/> is optional: null means "the pattern has no such wildcard"
/// (when matching) or "no value to write" (when formatting).
/// </summary>
public sealed record InstanceMetadata
{
    /// <summary>@v: the version, never empty when matched.</summary>
    public string? Version { get; init; }

    /// <summary>@u: the GPT partition UUID.</summary>
    public Guid? PartitionUuid { get; init; }

    /// <summary>@f: the GPT partition attribute flags.</summary>
    public ulong? PartitionFlags { get; init; }

    /// <summary>@a: the GPT no-auto flag.</summary>
    public bool? NoAuto { get; init; }

    /// <summary>@g: the GPT grow-file-system flag.</summary>
    public bool? GrowFileSystem { get; init; }

    /// <summary>@r: read-only.</summary>
    public bool? ReadOnly { get; init; }

    /// <summary>@t: modification time in microseconds since the epoch.</summary>
    public ulong? ModificationTimeUsec { get; init; }

    /// <summary>@m: file mode, a subset of 0775.</summary>
    public uint? Mode { get; init; }

    /// <summary>@s: uncompressed size in bytes.</summary>
    public ulong? Size { get; init; }

    /// <summary>@d: boot tries done.</summary>
    public ulong? TriesDone { get; init; }

    /// <summary>@l: boot tries left.</summary>
    public ulong? TriesLeft { get; init; }

    /// <summary>@h: SHA-256 of the (compressed) file, lower-case hex, 64 characters.</summary>
    public string? Sha256 { get; init; }
}
