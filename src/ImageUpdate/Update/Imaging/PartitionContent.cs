namespace ImageUpdate.Update.Imaging;

/// <summary>
/// What build-image put into one partition besides zeros: the content file written at its start (a file
/// system made from CopyFiles=, the CopyBlocks= file; null for a verity hash or signature partition,
/// which are computed), and for a verity triple the root hash. <see cref="SplitPayloads"/> decides what
/// `--split` writes for it: the whole partition, or the signature JSON alone for Verity=signature, as
/// systemd-repart splits them.
/// </summary>
public sealed record PartitionContent(RepartPartition Definition, string? ContentFile, long ContentSize)
{
    /// <summary>The root hash of the triple (data, hash and signature partitions); null outside one.</summary>
    public ReadOnlyMemory<byte>? RootHash { get; init; }

    /// <summary>The signature partition's JSON (without the NUL padding); null for other partitions.</summary>
    public ReadOnlyMemory<byte>? SignatureJson { get; init; }
}
