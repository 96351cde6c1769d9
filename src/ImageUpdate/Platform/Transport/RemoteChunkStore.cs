using ImageUpdate.Formats.Casync;

namespace ImageUpdate.Platform.Transport;

/// <summary>
/// A casync chunk store on a server (or a file:// directory): chunk X is <c>STORE/X[0..4]/X.cacnk</c>.
/// Every chunk is one request through the fetcher, so it shares its keep-alive connections, proxy
/// settings (socks5h included), stall timeouts and retries; a body larger than zstd can need for the
/// chunk's size is refused before it is read (from Content-Length) or as soon as it passes the bound,
/// and what arrives must decompress to exactly the chunk's size and hash to its ID
/// (<see cref="ChunkStore.Decode"/>), else <see cref="CasyncFormatException"/>. A chunk the server
/// does not have (404, 410, a missing file) is "not here".
/// </summary>
public sealed class RemoteChunkStore : IChunkSource
{
    private readonly UrlFetcher _fetcher;
    private readonly string _root;
    private long _bytesReceived;

    /// <param name="store">The store's URL (<c>.../default.castr</c>, with or without a trailing slash).</param>
    public RemoteChunkStore(UrlFetcher fetcher, Uri store)
    {
        _fetcher = fetcher;
        Store = store;
        _root = store.ToString().TrimEnd('/') + "/";
    }

    public Uri Store { get; }

    /// <summary>Every chunk is decoded with <see cref="ChunkStore.Decode"/>, which checks its ID.</summary>
    public bool ChecksIds => true;

    /// <summary>Compressed chunk bytes received so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public Uri UrlOf(ChunkId id)
    {
        var hex = id.ToString();
        return new Uri(_root + hex[..4] + "/" + hex + ChunkStore.ChunkSuffix);
    }

    public async ValueTask<bool> TryReadAsync(IndexedChunk chunk, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var url = UrlOf(chunk.Id);
        var limit = ChunkStore.MaxCompressedLength(destination.Length);
        byte[]? body;
        try
        {
            body = await _fetcher.GetSmallAsync(url, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (DownloadException e) when (e.Failure == DownloadFailure.TooLarge)
        {
            throw new CasyncFormatException($"The chunk '{DownloadException.Describe(url)}' is larger than the {limit} bytes zstd needs for the {destination.Length} bytes it must hold.", e);
        }

        if (body is null)
        {
            return false;
        }

        Interlocked.Add(ref _bytesReceived, body.Length);
        ChunkStore.Decode(DownloadException.Describe(url), chunk.Id, body, destination.Span);
        return true;
    }
}
