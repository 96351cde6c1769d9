namespace ImageUpdate.Formats.Casync;

/// <summary>
/// Somewhere the chunks of a blob may come from when it is rebuilt from its index: a seed (an
/// installed copy of an earlier version, chunked locally), a chunk store on a server, or a pack staged
/// by the untrusted side. A source need not be trusted: whoever rebuilds checks every chunk it
/// returns against the chunk's ID before using it.
/// </summary>
public interface IChunkSource
{
    /// <summary>
    /// Fills <paramref name="destination"/> (exactly <paramref name="chunk"/>'s length) with the chunk's
    /// uncompressed bytes and returns true, or returns false when this source does not have it.
    /// </summary>
    ValueTask<bool> TryReadAsync(IndexedChunk chunk, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>
    /// Whether this source itself refuses (throws <see cref="CasyncFormatException"/>) every chunk
    /// whose bytes do not hash to its ID before <see cref="TryReadAsync"/> returns true: it decodes
    /// with <see cref="ChunkStore.Decode"/>, which hashes. Then a rebuild need not hash the chunk a
    /// second time. False unless a source says so.
    /// </summary>
    bool ChecksIds => false;
}
