namespace ImageUpdate.Update.Delta;

/// <summary>
/// Bytes on this machine that may hold chunks of a payload: a file or block device, or the extent of
/// one (a partition slot inside a disk or disk image, from <paramref name="Offset"/> for
/// <paramref name="Length"/> bytes; null: to the end).
/// </summary>
public sealed record Seed(string Path, long Offset = 0, long? Length = null)
{
    /// <summary>
    /// The version this seed holds whole (an installed or pending instance), or null when that is not
    /// known (a partial copy, --seed). When the server still publishes that version's index, the index
    /// says where the seed's chunks are and the seed need not be read to be chunked; each chunk is still
    /// hashed when it is used, so a seed that does not hold what its label says costs a download, nothing more.
    /// </summary>
    public string? Version { get; init; }

    /// <summary>
    /// A slot this very rebuild may write into (a free slot: the one claimed is chosen only after the
    /// payload is opened). A chunk is taken from it only from the offset it has in the result, which
    /// the rebuild reads before the write reaches it (the writer writes only what the rebuild has
    /// delivered, in order); such a slot holds what an interrupted attempt wrote there.
    /// </summary>
    public bool InPlace { get; init; }

    public override string ToString() => Offset == 0 && Length is null ? Path : $"{Path}@{Offset}+{Length}";
}
