namespace ImageUpdate.Update.Imaging;

/// <summary>Verity= (repart.d(5)): the part a partition plays in a dm-verity triple tied together by VerityMatchKey=.</summary>
public enum RepartVerityRole
{
    Off,

    /// <summary>The data the hash tree covers (the whole partition, zeros after the content included).</summary>
    Data,

    /// <summary>The hash device: superblock and tree over the data partition.</summary>
    Hash,

    /// <summary>The JSON object with the root hash and its PKCS#7 signature, NUL-padded to 16 KiB.</summary>
    Signature,
}
