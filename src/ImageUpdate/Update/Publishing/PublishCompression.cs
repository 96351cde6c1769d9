namespace ImageUpdate.Update.Publishing;

/// <summary>How <c>publish --compress</c> packs each payload. The engine recognises all three by their magic.</summary>
public enum PublishCompression
{
    None,
    Zstd,
    Xz,
    Gzip,
}
