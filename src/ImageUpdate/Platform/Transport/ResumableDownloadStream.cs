using System.Globalization;
using ImageUpdate.Foundation.Streams;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Platform.Transport;

/// <summary>
/// A response body that survives broken connections: when a read fails with a transient error it
/// asks for the rest with Range from the current position (If-Range with the first response's
/// validator), checks that the 206 continues the same file, and carries on within the same read.
/// Consecutive failures without a byte of progress are bounded by <see cref="TransportOptions.MaxRetries"/>.
/// </summary>
internal sealed class ResumableDownloadStream : ForwardReadStream
{
    private readonly UrlFetcher _fetcher;
    private readonly Uri _url;
    private readonly long _bound;
    private readonly ResponseIdentity _identity;
    private DownloadStream? _body;
    private long _position;
    private int _failures;
    private bool _disposed;

    public ResumableDownloadStream(UrlFetcher fetcher, Uri url, long bound, ResponseIdentity identity, DownloadStream body)
    {
        _fetcher = fetcher;
        _url = url;
        _bound = bound;
        _identity = identity;
        _body = body;
    }

    /// <summary>The whole file's length as the server gave it (Content-Length or Content-Range), for progress.</summary>
    public override long? ExpectedLength => _identity.Length;

    /// <summary>Times the stream continued with a Range request.</summary>
    public int Resumes { get; private set; }

    public override bool CanRead => !_disposed;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            try
            {
                if (_body is null)
                {
                    _body = await _fetcher.OpenContinuationAsync(_url, _position, _identity, _bound, cancellationToken).ConfigureAwait(false);
                    Resumes++;
                }

                var count = await _body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (count == 0 && buffer.Length > 0 && _identity.Length is { } total && _position < total)
                {
                    // A body without Content-Length (chunked, or closed by the server) that ends early.
                    throw new DownloadException(_url, DownloadFailure.ConnectionLost, string.Create(CultureInfo.InvariantCulture,
                        $"the response ended after {_position} of {total} bytes"));
                }

                if (count > 0)
                {
                    _failures = 0;
                }

                _position += count;
                return count;
            }
            catch (DownloadException e) when (e.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                _body?.Dispose();
                _body = null;
                if (!_identity.CanResume)
                {
                    throw new DownloadException(_url, e.Failure, string.Create(CultureInfo.InvariantCulture,
                        $"the connection broke after {_position} bytes and the server gave no ETag or Last-Modified to resume with"), e);
                }

                if (++_failures > _fetcher.Options.MaxRetries)
                {
                    throw;
                }

                _fetcher.Logger.LogInformation("Resuming {Url} from byte {Position}.", DownloadException.Describe(_url), _position);
                await _fetcher.WaitBeforeRetryAsync(e, _failures, cancellationToken).ConfigureAwait(false);
            }
        }
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
            _body?.Dispose();
        }

        base.Dispose(disposing);
    }
}
