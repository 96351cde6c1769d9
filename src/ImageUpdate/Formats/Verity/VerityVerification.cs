namespace ImageUpdate.Formats.Verity;

/// <summary>What <see cref="VerityVerifier"/> established: the hash device's superblock and the root hash recomputed from the data.</summary>
public sealed record VerityVerification(VeritySuperblock Superblock, ReadOnlyMemory<byte> RootHash)
{
    /// <summary>The root hash as lowercase hex (how veritysetup, repart and the kernel command line print it).</summary>
    public string RootHashHex => Convert.ToHexStringLower(RootHash.Span);
}
