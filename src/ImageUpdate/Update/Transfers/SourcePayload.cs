namespace ImageUpdate.Update.Transfers;

/// <summary>What a source instance delivers: a byte stream (possibly compressed), a tar archive, or a directory tree.</summary>
public enum PayloadKind
{
    File,
    Tar,
    Directory,
}

/// <summary>
/// The bytes of one source instance, opened once by the transfer that writes them. URL sources wrap
/// their stream so the SHA-256 is checked as it is read; local sources hand out the file itself.
/// </summary>
public sealed class SourcePayload
{
    private readonly Func<CancellationToken, Task<Stream>>? _open;

    private SourcePayload(PayloadKind kind, string description, Func<CancellationToken, Task<Stream>>? open, string? directory)
    {
        Kind = kind;
        Description = description;
        _open = open;
        DirectoryPath = directory;
    }

    public PayloadKind Kind { get; }

    /// <summary>Where it comes from, for messages.</summary>
    public string Description { get; }

    /// <summary>For <see cref="PayloadKind.Directory"/>: the tree to copy.</summary>
    public string? DirectoryPath { get; }

    /// <summary>The expected uncompressed size when known (used for progress).</summary>
    public long? Length { get; init; }

    public static SourcePayload FromStream(PayloadKind kind, string description, Func<CancellationToken, Task<Stream>> open) =>
        new(kind, description, open, null);

    public static SourcePayload FromDirectory(string path) => new(PayloadKind.Directory, path, null, path);

    public Task<Stream> OpenAsync(CancellationToken cancellationToken) =>
        _open is null ? throw new InvalidOperationException("A directory payload has no stream.") : _open(cancellationToken);
}
