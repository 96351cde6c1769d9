using System.Globalization;
using ImageUpdate.Foundation.Streams;

namespace ImageUpdate.Platform.Transport;

/// <summary>
/// The body of one response (or one file:// file), read-only and forward-only, that enforces what
/// a download must: no more than the bound (the read asks for at most one byte past it, so an
/// endless response stops right there), no silence longer than the stall timeout, and every
/// failure turned into a <see cref="DownloadException"/>. It counts what it delivers.
/// </summary>
internal sealed class DownloadStream : ForwardReadStream
{
    private readonly Stream _inner;
    private readonly IDisposable? _owner;
    private readonly Uri _url;
    private readonly long _bound;
    private readonly TimeSpan? _stallTimeout;
    private readonly Action<int> _onBytes;
    private long _allowance;
    private long _read;
    private bool _disposed;

    /// <param name="allowance">How many more bytes may arrive: the bound minus what the caller already has (a resume offset).</param>
    /// <param name="stallTimeout">Null for local files, which cannot stall.</param>
    public DownloadStream(Stream inner, IDisposable? owner, Uri url, long bound, long allowance, TimeSpan? stallTimeout, Action<int> onBytes)
    {
        _inner = inner;
        _owner = owner;
        _url = url;
        _bound = bound;
        _allowance = allowance;
        _stallTimeout = stallTimeout;
        _onBytes = onBytes;
    }

    /// <summary>Bytes delivered so far by this body.</summary>
    public long BytesRead => _read;

    /// <summary>A local file's length (what progress counts against); a response body's length comes from its headers instead.</summary>
    public override long? ExpectedLength => _inner.CanSeek ? _inner.Length : null;

    public override bool CanRead => !_disposed;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length == 0)
        {
            return 0;
        }

        // One byte more than allowed is enough to know the body is too long; never read further.
        var limit = (int)Math.Min(buffer.Length, _allowance + 1);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_stallTimeout is { } timeout)
        {
            stall.CancelAfter(timeout);
        }

        int count;
        try
        {
            count = await _inner.ReadAsync(buffer[..limit], stall.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DownloadException(_url, DownloadFailure.Stalled, string.Create(CultureInfo.InvariantCulture,
                $"no data arrived for {_stallTimeout!.Value.TotalSeconds:0.###} s after {_read} bytes"), e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            throw _stallTimeout is null
                ? new DownloadException(_url, DownloadFailure.LocalFile, $"reading failed after {_read} bytes ({Foundation.Errors.UntrustedText.Escape(e.Message)})", e)
                : new DownloadException(_url, DownloadFailure.ConnectionLost, $"the connection broke after {_read} bytes", e);
        }

        _onBytes(count);
        _read += count;
        if (count > _allowance)
        {
            throw new DownloadException(_url, DownloadFailure.TooLarge, $"it is larger than the limit of {_bound} bytes");
        }

        _allowance -= count;
        return count;
    }

    // Every reader of a download is asynchronous (the stall and bound checks, the retries, live in
    // ReadAsync); blocking a thread on the network is refused rather than hidden behind an adapter.
    public override int Read(Span<byte> buffer) =>
        throw new NotSupportedException("A download is read asynchronously (ReadAsync).");

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _inner.Dispose();
            _owner?.Dispose();
        }

        base.Dispose(disposing);
    }
}
