using ImageUpdate.Update.Delta;

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
    private readonly Func<IReadOnlyList<Seed>, CancellationToken, Task<Stream>>? _open;

    private SourcePayload(PayloadKind kind, string description, Func<IReadOnlyList<Seed>, CancellationToken, Task<Stream>>? open, string? directory)
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

    /// <summary>
    /// Local files and block devices that may hold parts of the payload (the target's installed
    /// instances, an interrupted copy, --seed): a source that rebuilds from a chunk index reuses what
    /// it finds in them; any other ignores them.
    /// </summary>
    public IReadOnlyList<Seed> Seeds { get; private init; } = [];

    /// <summary>For a payload rebuilt from a chunk index: bytes reused and downloaded so far, for progress; null otherwise.</summary>
    public DeltaCounters? Rebuild { get; private init; }

    public static SourcePayload FromStream(PayloadKind kind, string description, Func<CancellationToken, Task<Stream>> open) =>
        new(kind, description, (_, cancellationToken) => open(cancellationToken), null);

    /// <summary>A stream that the <see cref="Seeds"/> given by <see cref="WithSeeds"/> may help make.</summary>
    public static SourcePayload FromSeededStream(PayloadKind kind, string description, Func<IReadOnlyList<Seed>, CancellationToken, Task<Stream>> open, DeltaCounters? rebuild) =>
        new(kind, description, open, null) { Rebuild = rebuild };

    /// <summary>The same payload, opened with <paramref name="seeds"/>.</summary>
    public SourcePayload WithSeeds(IReadOnlyList<Seed> seeds) =>
        new(Kind, Description, _open, DirectoryPath) { Length = Length, Rebuild = Rebuild, Seeds = seeds };

    public static SourcePayload FromDirectory(string path) => new(PayloadKind.Directory, path, null, path);

    public Task<Stream> OpenAsync(CancellationToken cancellationToken) =>
        _open is null ? throw new InvalidOperationException("A directory payload has no stream.") : _open(Seeds, cancellationToken);
}
