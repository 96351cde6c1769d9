namespace ImageUpdate.Update.Staging;

/// <summary>
/// Quotas on a staged update, in the spirit of Qubes' qfile-dom0-unpacker (4096 files, a byte bound)
/// that Spectrum's updates-dir-check lacks. Entries counts every name but "." and "..", the
/// downloader's ignored dot-files included, so no directory can make validation loop for long.
/// Sizes are st_size, not st_blocks: a sparse file counts at its full length, as a reader would see it.
/// </summary>
public sealed record StagingLimits(int MaxEntries, long MaxTotalBytes)
{
    public const int DefaultMaxEntries = 4096;

    public const long DefaultMaxTotalBytes = 8L << 30;

    public static StagingLimits Default { get; } = new(DefaultMaxEntries, DefaultMaxTotalBytes);
}
