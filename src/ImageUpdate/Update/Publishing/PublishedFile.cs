using ImageUpdate.Formats.Compression;

namespace ImageUpdate.Update.Publishing;

/// <summary>One file <c>publish</c> wrote: for which transfer, its name, its SHA-256 (of the bytes served) and its compression.</summary>
public sealed record PublishedFile(string TransferId, string FileName, string Sha256, CompressionKind Compression);
