using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Platform.Transport;

/// <summary>
/// Fetches what URL sources need over http://, https:// and file://: small files (manifests,
/// signatures) into memory, payloads as bounded streams, and resumable downloads to a partial file.
/// Every body is bounded in size and abandoned when the server stalls; transient failures
/// (refused connections, broken connections, 408/429/5xx) are retried with backoff, and broken
/// bodies continue with Range/If-Range where the server allows it.
/// </summary>
public sealed partial class UrlFetcher : IDisposable
{
    private readonly TransportOptions _options;
    private readonly HttpClient _client;
    private readonly ILogger _logger;
    private long _bytesReceived;

    /// <exception cref="Foundation.Errors.ConfigurationException">A proxy variable in the environment is malformed.</exception>
    public UrlFetcher(TransportOptions options, ILogger? logger = null)
    {
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        Proxies = new ProxySelector(options.Environment);

        var handler = new SocketsHttpHandler
        {
            Proxy = Proxies,
            UseProxy = true,
            ConnectTimeout = options.ConnectTimeout,
            // The bytes are hashed as the server stores them: never ask for a transfer encoding.
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 10,
        };
        if (options.CertificateValidationForTests is { } validation)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = validation;
        }

        // Timeouts are ours (connect, headers, stall per read); HttpClient's whole-request timeout
        // would cut a slow but steady multi-gigabyte download.
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", options.UserAgent);
    }

    public ProxySelector Proxies { get; }

    /// <summary>Body bytes received by every call of this fetcher so far (file:// bytes included).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>
    /// Fetches a small file whole (SHA256SUMS, SHA256SUMS.gpg, SHA256SUMS.asc). Returns null when
    /// it does not exist (HTTP 404 or 410, a missing file:// path), so callers can fall back.
    /// </summary>
    /// <exception cref="DownloadException">Any other failure, or more than <paramref name="maxBytes"/> bytes.</exception>
    public async Task<byte[]?> GetSmallAsync(Uri url, long maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            return await RetryAsync(url, async token =>
            {
                await using var body = await OpenOnceAsync(url, maxBytes, token).ConfigureAwait(false);
                using var buffer = new MemoryStream();
                await body.CopyToAsync(buffer, token).ConfigureAwait(false);
                return buffer.ToArray();
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DownloadException e) when (e.Failure == DownloadFailure.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Opens a body as a stream that throws <see cref="DownloadException"/> once more than
    /// <paramref name="maxBytes"/> bytes arrive or the server stalls. Failures before the body
    /// starts are retried; a connection that breaks mid-body is reported (see <see cref="OpenResumableAsync"/>).
    /// </summary>
    /// <exception cref="DownloadException">With <see cref="DownloadFailure.NotFound"/> when it does not exist.</exception>
    public async Task<Stream> OpenAsync(Uri url, long maxBytes, CancellationToken cancellationToken) =>
        await RetryAsync(url, token => OpenOnceAsync(url, maxBytes, token), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Like <see cref="OpenAsync"/>, but when the connection breaks mid-body the stream reconnects
    /// with Range from where it is, checked with If-Range and the validators of the first
    /// response, and goes on as if nothing happened. If the file changed on the server the stream
    /// throws (<see cref="DownloadFailure.Changed"/>): what it already delivered cannot be taken back.
    /// </summary>
    public async Task<Stream> OpenResumableAsync(Uri url, long maxBytes, CancellationToken cancellationToken)
    {
        if (url.IsFile)
        {
            return await OpenAsync(url, maxBytes, cancellationToken).ConfigureAwait(false);
        }

        return await RetryAsync(url, async token =>
        {
            var response = await SendAsync(url, 0, null, token).ConfigureAwait(false);
            try
            {
                EnsureStatus(url, response);
                var identity = ResponseIdentity.From(response);
                EnsureWithinBound(url, identity.Length, maxBytes);
                var body = await BodyAsync(url, response, maxBytes, 0, token).ConfigureAwait(false);
                return (Stream)new ResumableDownloadStream(this, url, maxBytes, identity, body);
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>One request for the rest of a file from <paramref name="offset"/>, which must come back as that rest (used by the resumable stream).</summary>
    internal async Task<DownloadStream> OpenContinuationAsync(Uri url, long offset, ResponseIdentity identity, long maxBytes, CancellationToken cancellationToken)
    {
        var response = await SendAsync(url, offset, identity.IfRange, cancellationToken).ConfigureAwait(false);
        try
        {
            if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent or HttpStatusCode.RequestedRangeNotSatisfiable
                && ContinuationProblem(response, offset, identity) is { } problem)
            {
                throw new DownloadException(url, DownloadFailure.Changed, $"the connection broke after {offset} bytes and the rest could not be fetched: {problem}");
            }

            EnsureStatus(url, response);
            return await BodyAsync(url, response, maxBytes, offset, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    internal TransportOptions Options => _options;

    internal ILogger Logger => _logger;

    /// <summary>
    /// Why <paramref name="response"/> to a Range request from <paramref name="offset"/> is not
    /// the rest of the file <paramref name="identity"/> describes, or null when it is.
    /// </summary>
    private static string? ContinuationProblem(HttpResponseMessage response, long offset, ResponseIdentity identity)
    {
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                // If-Range did its job (the file changed) or the server does not do ranges.
                return "the server sent the whole file again (it changed, or the server ignores Range)";
            case HttpStatusCode.RequestedRangeNotSatisfiable:
                return "the server says the range is not satisfiable (the file shrank)";
        }

        var range = response.Content.Headers.ContentRange;
        if (range is null || range.Unit != "bytes" || range.From is not { } from || range.To is not { } to)
        {
            return "the partial response has no usable Content-Range";
        }

        if (from != offset)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the partial response starts at byte {from}, not {offset}");
        }

        if (range.Length is { } total && to != total - 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the partial response ends at byte {to}, not at the end of the {total}-byte file");
        }

        if (response.Content.Headers.ContentLength is { } length && length != to - from + 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"Content-Length {length} disagrees with Content-Range {from}-{to}");
        }

        // Servers that ignore If-Range but send ranges of the new file are caught here.
        var later = ResponseIdentity.From(response);
        return identity.Matches(later) ? null : "the server's ETag, Last-Modified or length changed since the first request";
    }

    private async Task<T> RetryAsync<T>(Uri url, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        var failures = 0;
        while (true)
        {
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (DownloadException e) when (e.IsTransient && failures < _options.MaxRetries && !cancellationToken.IsCancellationRequested)
            {
                failures++;
                await WaitBeforeRetryAsync(e, failures, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    internal async Task WaitBeforeRetryAsync(DownloadException failure, int failures, CancellationToken cancellationToken)
    {
        var delay = _options.RetryDelayFor(failures);
        _logger.LogWarning("{Error} Retrying in {Delay} s ({Retry} of {MaxRetries}).", failure.Message, delay.TotalSeconds, failures, _options.MaxRetries);
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DownloadStream> OpenOnceAsync(Uri url, long maxBytes, CancellationToken cancellationToken)
    {
        if (url.IsFile)
        {
            return OpenLocal(url, maxBytes);
        }

        var response = await SendAsync(url, 0, null, cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureStatus(url, response);
            EnsureWithinBound(url, response.Content.Headers.ContentLength, maxBytes);
            return await BodyAsync(url, response, maxBytes, 0, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<DownloadStream> BodyAsync(Uri url, HttpResponseMessage response, long maxBytes, long offset, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return new DownloadStream(stream, response, url, maxBytes, maxBytes - offset, _options.StallTimeout, CountBytes);
    }

    private void CountBytes(int count) => Interlocked.Add(ref _bytesReceived, count);

    /// <summary>Sends a GET (from <paramref name="offset"/> with If-Range when given) and waits for the headers, under the connect and stall timeouts.</summary>
    private async Task<HttpResponseMessage> SendAsync(Uri url, long offset, string? ifRange, CancellationToken cancellationToken)
    {
        if (url.Scheme is not ("http" or "https"))
        {
            throw new DownloadException(url, DownloadFailure.UnsupportedScheme, "only http, https and file URLs are supported");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
            if (ifRange is not null)
            {
                // Sent exactly as the server wrote it: If-Range compares entity tags and dates byte for byte.
                request.Headers.TryAddWithoutValidation("If-Range", ifRange);
            }
        }

        var headersTimeout = _options.ConnectTimeout + _options.StallTimeout;
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        headers.CancelAfter(headersTimeout);
        try
        {
            return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headers.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // Our timer, or SocketsHttpHandler's ConnectTimeout (which surfaces as a cancellation).
            throw headers.IsCancellationRequested
                ? new DownloadException(url, DownloadFailure.Stalled, string.Create(CultureInfo.InvariantCulture, $"no response arrived within {headersTimeout.TotalSeconds:0.###} s"), e)
                : new DownloadException(url, DownloadFailure.ConnectFailed, string.Create(CultureInfo.InvariantCulture, $"connecting took longer than {_options.ConnectTimeout.TotalSeconds:0.###} s"), e);
        }
        catch (HttpRequestException e)
        {
            throw Classify(url, e);
        }
    }

    private static DownloadException Classify(Uri url, HttpRequestException e)
    {
        var detail = Foundation.Errors.UntrustedText.Escape(Innermost(e).Message);
        var tls = e.HttpRequestError == HttpRequestError.SecureConnectionError || Innermost(e) is AuthenticationException;
        return e.HttpRequestError switch
        {
            _ when tls => new DownloadException(url, DownloadFailure.Tls, $"the TLS connection failed ({detail})", e),
            HttpRequestError.NameResolutionError => new DownloadException(url, DownloadFailure.NameResolution, $"the host name could not be resolved ({detail})", e),
            HttpRequestError.ProxyTunnelError => new DownloadException(url, DownloadFailure.Proxy, $"the proxy failed ({detail})", e),
            HttpRequestError.ConnectionError => new DownloadException(url, DownloadFailure.ConnectFailed, $"could not connect ({detail})", e),
            // A reset or close after the request went out (SocketsHttpHandler files resets under Unknown).
            HttpRequestError.ResponseEnded or HttpRequestError.Unknown =>
                new DownloadException(url, DownloadFailure.ConnectionLost, $"the connection broke before a response arrived ({detail})", e),
            HttpRequestError.HttpProtocolError or HttpRequestError.InvalidResponse or HttpRequestError.ConfigurationLimitExceeded =>
                new DownloadException(url, DownloadFailure.Inconsistent, $"the server's response is not valid HTTP ({detail})", e),
            _ => new DownloadException(url, DownloadFailure.ConnectFailed, $"could not connect ({detail})", e),
        };
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner)
        {
            e = inner;
        }

        return e;
    }

    private static void EnsureStatus(Uri url, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status is 200 or 206 && (status == 200 || response.RequestMessage?.Headers.Range is not null))
        {
            return;
        }

        var reason = ReasonSuffix(response.ReasonPhrase);
        var what = string.Create(CultureInfo.InvariantCulture, $"the server answered {status}{reason}");
        var failure = status switch
        {
            404 or 410 => DownloadFailure.NotFound,
            408 or 429 or >= 500 => DownloadFailure.ServerBusy,
            206 => DownloadFailure.Inconsistent,
            _ => DownloadFailure.HttpStatus,
        };
        throw new DownloadException(url, failure, failure == DownloadFailure.Inconsistent ? "the server sent a partial response to a request for the whole file" : what)
        {
            StatusCode = status,
        };
    }

    private static string ReasonSuffix(string? reasonPhrase) =>
        string.IsNullOrEmpty(reasonPhrase) ? "" : " " + Foundation.Errors.UntrustedText.Escape(reasonPhrase);

    private static void EnsureWithinBound(Uri url, long? announced, long maxBytes)
    {
        if (announced > maxBytes)
        {
            throw new DownloadException(url, DownloadFailure.TooLarge, string.Create(CultureInfo.InvariantCulture,
                $"the server announces {announced} bytes, more than the limit of {maxBytes} bytes"));
        }
    }
}
