namespace ImageUpdate.Formats.Versions;

/// <summary>The pieces a pattern is split into (systemd's PatternElementType).</summary>
internal enum PatternElementKind
{
    Literal,
    Slash,
    Version,
    PartitionUuid,
    PartitionFlags,
    ModificationTime,
    Mode,
    Size,
    TriesDone,
    TriesLeft,
    NoAuto,
    ReadOnly,
    GrowFileSystem,
    Sha256,
}
