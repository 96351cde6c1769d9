using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.Transport;

/// <summary>
/// A download from a URL source failed. The message is one sentence naming the URL (escaped, with
/// any user:password removed) and what went wrong; <see cref="Failure"/> says which kind of failure
/// it was so callers can fall back on <see cref="DownloadFailure.NotFound"/>.
/// </summary>
public sealed class DownloadException : ImageUpdateException
{
    public DownloadException(Uri url, DownloadFailure failure, string what)
        : base(Format(url, what))
    {
        Url = url;
        Failure = failure;
    }

    public DownloadException(Uri url, DownloadFailure failure, string what, Exception inner)
        : base(Format(url, what), inner)
    {
        Url = url;
        Failure = failure;
    }

    public Uri Url { get; }

    public DownloadFailure Failure { get; }

    /// <summary>The HTTP status code when the failure is a status the server sent.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Failures a new connection may cure: retried (and resumed) a bounded number of times.</summary>
    internal bool IsTransient => Failure is DownloadFailure.ServerBusy or DownloadFailure.ConnectFailed or DownloadFailure.ConnectionLost;

    /// <summary>The URL as messages show it: credentials dropped (they must not reach logs), untrusted text escaped.</summary>
    public static string Describe(Uri url)
    {
        if (!url.IsAbsoluteUri)
        {
            return UntrustedText.Escape(url.OriginalString);
        }

        var shown = url.UserInfo.Length == 0 ? url : new UriBuilder(url) { UserName = "", Password = "" }.Uri;
        return UntrustedText.Escape(shown.AbsoluteUri);
    }

    private static string Format(Uri url, string what) => $"Could not download {Describe(url)}: {what}.";
}
