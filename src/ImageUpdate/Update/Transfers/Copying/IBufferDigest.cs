namespace ImageUpdate.Update.Transfers.Copying;

/// <summary>
/// A check over every byte a copy writes, run by <see cref="PipelinedCopy"/> on its own thread beside
/// the writes (the buffers are shared, never copied): the hash a verified source would otherwise
/// compute on the reading thread, in series with reading.
/// </summary>
public interface IBufferDigest
{
    /// <summary>Adds the next bytes of the payload, in order, from its first byte.</summary>
    void Append(ReadOnlySpan<byte> data);

    /// <summary>Called once after the last bytes; throws when they are not the expected ones.</summary>
    void Complete();
}
