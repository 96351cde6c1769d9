namespace ImageUpdate.Formats.Casync;

/// <summary>
/// The chunks of a <see cref="ChunkPack"/> as a rebuild reads them: the pack's table is read (and
/// checked) once, each chunk is read from the same stream when asked for and decoded with
/// <see cref="ChunkStore.Decode"/>, so a chunk comes back only if it has the right size and ID; a bad
/// one ends in a <see cref="CasyncFormatException"/>. Reads are serialized (one position on one
/// stream), so a rebuild may ask from several tasks. The stream is the caller's (for a staged update,
/// opened through the validated snapshot's directory handle) and is disposed with the source.
/// </summary>
public sealed class PackChunkSource : IChunkSource, IDisposable
{
    private readonly Stream _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public PackChunkSource(Stream stream, string source, int maxEntries = ChunkPack.DefaultMaxEntries)
    {
        _stream = stream;
        Pack = ChunkPack.Read(stream, source, maxEntries);
    }

    public ChunkPack Pack { get; }

    /// <summary>Every chunk is decoded with <see cref="ChunkStore.Decode"/>, which checks its ID.</summary>
    public bool ChecksIds => true;

    public async ValueTask<bool> TryReadAsync(IndexedChunk chunk, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (!Pack.Contains(chunk.Id))
        {
            return false;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Pack.TryRead(_stream, chunk, destination.Span);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _gate.Dispose();
    }
}
