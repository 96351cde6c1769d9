using ImageUpdate.Platform.Transport;

namespace ImageUpdate.Update.Delta;

/// <summary>
/// What one rebuild has done so far, for progress: uncompressed bytes taken from seeds, uncompressed
/// bytes taken from the chunk store, and the bytes the store's transport received (compressed, the
/// index included). Updated by the rebuild's concurrent fetches, read by the progress reporter.
/// </summary>
public sealed class DeltaCounters
{
    private long _reused;
    private long _fetched;
    private long _downloaded;

    /// <summary>Bytes of the result copied from seeds after their hash matched.</summary>
    public long Reused => Interlocked.Read(ref _reused);

    /// <summary>Bytes of the result that came from the chunk store (uncompressed).</summary>
    public long Fetched => Interlocked.Read(ref _fetched);

    /// <summary>Bytes received for the index and chunks (what the server sent).</summary>
    public long Downloaded => Interlocked.Read(ref _downloaded) + (Store?.BytesReceived ?? 0);

    /// <summary>Whether the payload is being rebuilt from chunks (false: the whole file is downloaded).</summary>
    public bool Active { get; internal set; }

    /// <summary>The server's chunk store, whose received bytes count as downloaded.</summary>
    internal RemoteChunkStore? Store { get; set; }

    internal void AddReused(long bytes) => Interlocked.Add(ref _reused, bytes);

    internal void AddFetched(long bytes) => Interlocked.Add(ref _fetched, bytes);

    internal void AddDownloaded(long bytes) => Interlocked.Add(ref _downloaded, bytes);
}
