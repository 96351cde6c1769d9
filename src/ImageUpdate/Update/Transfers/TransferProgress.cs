namespace ImageUpdate.Update.Transfers;

/// <summary>
/// How far one payload copy is: <paramref name="Bytes"/> done of <paramref name="Total"/>, when the
/// total is known. Both count the uncompressed bytes written when the uncompressed size is known,
/// else the bytes read of a source whose length is known (a compressed local file); with neither,
/// the bytes written and no total (a compressed download without a size).
/// </summary>
public sealed record TransferProgress(long Bytes, long? Total)
{
    /// <summary>For a payload rebuilt from a chunk index: bytes of it taken from seeds so far.</summary>
    public long? Reused { get; init; }

    /// <summary>For a payload rebuilt from a chunk index: bytes the server sent so far (index and compressed chunks).</summary>
    public long? Downloaded { get; init; }

    /// <summary>The share done, 0 to 1, or null when the total is not known.</summary>
    public double? Fraction => Total is > 0 and var total ? Math.Min(1.0, (double)Bytes / total) : null;

    /// <summary>A finished copy of <paramref name="bytes"/> bytes.</summary>
    public static TransferProgress Done(long bytes) => new(bytes, bytes);
}
