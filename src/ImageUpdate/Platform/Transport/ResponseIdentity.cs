using System.Globalization;
using System.Net;

namespace ImageUpdate.Platform.Transport;

/// <summary>
/// What identifies the version of a file a server sent: its entity tag, its Last-Modified date and
/// its full length. A resumed request carries it in If-Range (RFC 9110 §13.1.5) so a server whose
/// file changed sends the whole new file instead of a piece of it, and the 206 that comes back is
/// checked against it as well, for servers that ignore If-Range.
/// </summary>
internal sealed record ResponseIdentity(string? ETag, string? LastModified, long? Length)
{
    /// <summary>
    /// The If-Range value: a strong entity tag, else the date. RFC 9110 §13.1.5 forbids weak tags
    /// there; a date is what curl falls back on too.
    /// </summary>
    public string? IfRange => ETag is { } tag && !tag.StartsWith("W/", StringComparison.Ordinal) ? tag : LastModified;

    /// <summary>Without a validator a piece of a later request cannot be trusted to belong to the earlier one.</summary>
    public bool CanResume => IfRange is not null;

    public static ResponseIdentity From(HttpResponseMessage response)
    {
        var etag = response.Headers.ETag?.ToString();
        var lastModified = response.Content.Headers.LastModified?.ToString("r", CultureInfo.InvariantCulture);
        long? length = response.StatusCode == HttpStatusCode.PartialContent
            ? response.Content.Headers.ContentRange?.Length
            : response.Content.Headers.ContentLength;
        return new ResponseIdentity(etag, lastModified, length);
    }

    /// <summary>
    /// Whether a later response (a 206 for a resumed request) describes the same file: every
    /// validator both responses carry must agree, and the lengths if both are known.
    /// </summary>
    public bool Matches(ResponseIdentity later) =>
        (ETag is null || later.ETag is null || ETag == later.ETag)
        && (LastModified is null || later.LastModified is null || LastModified == later.LastModified)
        && (Length is null || later.Length is null || Length == later.Length);
}
