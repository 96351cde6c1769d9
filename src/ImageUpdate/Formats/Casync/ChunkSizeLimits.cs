namespace ImageUpdate.Formats.Casync;

/// <summary>
/// The minimum, average and maximum chunk size of casync's chunker, as a .caibx header records them.
/// casync's defaults are 16 KiB / 64 KiB / 256 KiB; every size lies in [1 byte, 128 MiB] and
/// minimum &lt;= average &lt;= maximum (src/cachunker.c, ca_chunker_set_size; src/caindex.c).
/// </summary>
public readonly record struct ChunkSizeLimits
{
    /// <summary>CA_CHUNK_SIZE_LIMIT_MIN.</summary>
    public const long SmallestAllowed = 1;

    /// <summary>CA_CHUNK_SIZE_LIMIT_MAX: 128 MiB.</summary>
    public const long LargestAllowed = 128L << 20;

    public ChunkSizeLimits(long minimum, long average, long maximum)
    {
        if (!AreValid(minimum, average, maximum))
        {
            throw new ArgumentOutOfRangeException(nameof(average), $"Chunk sizes {minimum}/{average}/{maximum} must satisfy 1 <= minimum <= average <= maximum <= {LargestAllowed}.");
        }

        Minimum = minimum;
        Average = average;
        Maximum = maximum;
    }

    /// <summary>casync's defaults: average 64 KiB, minimum a quarter of it, maximum four times it.</summary>
    public static ChunkSizeLimits Default { get; } = new(16 << 10, 64 << 10, 256 << 10);

    public long Minimum { get; }

    public long Average { get; }

    public long Maximum { get; }

    /// <summary>
    /// The cut discriminator d: a cut falls after a byte whose window hash h has h mod d == d - 1.
    /// casync corrects the average for the skewed distribution of chunk sizes with a fitted line
    /// (CA_CHUNKER_DISCRIMINATOR_FROM_AVG, evaluated in double precision and truncated), then clamps
    /// it into [minimum, maximum].
    /// </summary>
    public uint Discriminator
    {
        get
        {
            var raw = (ulong)(Average / ((-1.42888852e-7 * Average) + 1.33237515));
            return (uint)Math.Clamp(raw, (ulong)Minimum, (ulong)Maximum);
        }
    }

    internal static bool AreValid(long minimum, long average, long maximum) =>
        minimum >= SmallestAllowed && maximum <= LargestAllowed && minimum <= average && average <= maximum;
}
