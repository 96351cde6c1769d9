namespace ImageUpdate.Update.Delta;

/// <summary>
/// Bytes on this machine that may hold chunks of a payload: a file or block device, or the extent of
/// one (a partition slot inside a disk or disk image, from <paramref name="Offset"/> for
/// <paramref name="Length"/> bytes; null: to the end).
/// </summary>
public sealed record Seed(string Path, long Offset = 0, long? Length = null)
{
    public override string ToString() => Offset == 0 && Length is null ? Path : $"{Path}@{Offset}+{Length}";
}
