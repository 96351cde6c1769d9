namespace ImageUpdate.Platform.Transport;

/// <summary>What went wrong with a download, so callers can fall back (<see cref="NotFound"/>) or tell the user why.</summary>
public enum DownloadFailure
{
    /// <summary>HTTP 404 or 410, or a file:// path that does not exist: callers fall back (SHA256SUMS.gpg to .asc).</summary>
    NotFound,

    /// <summary>The server answered with a status that retrying will not change (403, 400, ...).</summary>
    HttpStatus,

    /// <summary>The server answered 408, 429 or 5xx: retried, reported once the retries are used up.</summary>
    ServerBusy,

    /// <summary>No connection could be made (refused, unreachable, connect timeout).</summary>
    ConnectFailed,

    /// <summary>The host name could not be resolved.</summary>
    NameResolution,

    /// <summary>The TLS handshake failed, usually because the certificate is not trusted.</summary>
    Tls,

    /// <summary>The proxy refused the tunnel or could not be reached.</summary>
    Proxy,

    /// <summary>The connection broke in the middle of the body.</summary>
    ConnectionLost,

    /// <summary>No byte arrived for the stall timeout.</summary>
    Stalled,

    /// <summary>More bytes arrived (or were announced) than the bound allows.</summary>
    TooLarge,

    /// <summary>The server's headers contradict each other or the request (Content-Range, Content-Length).</summary>
    Inconsistent,

    /// <summary>The file changed on the server while a stream that cannot start over was being resumed.</summary>
    Changed,

    /// <summary>A file:// source could not be read.</summary>
    LocalFile,

    /// <summary>The URL's scheme is not http, https or file.</summary>
    UnsupportedScheme,
}
