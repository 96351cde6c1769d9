namespace ImageUpdate.Update.Imaging;

/// <summary>
/// Minimize= (repart.d(5)). For the read-only file systems and CopyBlocks= a partition is made exactly
/// as large as its content rounded up to 4096 (both "best" and "guess": there is nothing to guess when
/// the image exists before the partition is placed); for Verity=hash exactly the hash device.
/// </summary>
public enum RepartMinimize
{
    Off,
    Best,
    Guess,
}
