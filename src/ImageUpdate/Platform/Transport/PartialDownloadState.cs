using System.Text.Json.Serialization;

namespace ImageUpdate.Platform.Transport;

/// <summary>
/// The sidecar next to a partial download (<c>partialPath + ".meta"</c>, JSON): which URL the bytes
/// came from and the validators the server gave, so a later run can ask for the rest with Range and
/// If-Range instead of starting over. A sidecar that is missing, unreadable or for another URL
/// means the partial file is discarded.
/// </summary>
internal sealed record PartialDownloadState(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("etag")] string? ETag,
    [property: JsonPropertyName("lastModified")] string? LastModified,
    [property: JsonPropertyName("length")] long? Length)
{
    public ResponseIdentity Identity => new(ETag, LastModified, Length);
}
