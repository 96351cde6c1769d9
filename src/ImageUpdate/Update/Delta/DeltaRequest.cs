using ImageUpdate.Formats.Verification;

namespace ImageUpdate.Update.Delta;

/// <summary>
/// One payload a <see cref="DeltaInstaller"/> may rebuild instead of downloading.
/// </summary>
/// <param name="FileName">The payload's name in the manifest (P).</param>
/// <param name="Index">The manifest's entry for P.caibx, or null when it lists none.</param>
/// <param name="Open">Opens the bytes of a listed file name (P, P.caibx), as the source does for a whole file.</param>
/// <param name="Seeds">Local files and block devices that may hold chunks of P (installed instances, an interrupted copy, --seed).</param>
/// <param name="Counters">Where the rebuild reports reused and downloaded bytes.</param>
public sealed record DeltaRequest(
    string FileName,
    ManifestEntry? Index,
    Func<string, CancellationToken, Task<Stream>> Open,
    IReadOnlyList<Seed> Seeds,
    DeltaCounters Counters)
{
    /// <summary>
    /// The manifest's entry for the index of the same transfer's file of a version (a seed's
    /// <see cref="Seed.Version"/>), or null when the manifest lists none; null: never looked up.
    /// </summary>
    public Func<string, ManifestEntry?>? IndexOfVersion { get; init; }

    /// <summary>
    /// The manifest's entry for the same transfer's file of a version (the file whose index
    /// <see cref="IndexOfVersion"/> gives), or null when the manifest lists none; null: never looked up.
    /// A seed mapped by that index is checked against this file's SHA-256 when a missing chunk could not be fetched instead.
    /// </summary>
    public Func<string, ManifestEntry?>? FileOfVersion { get; init; }

    /// <summary>The version P belongs to (its index is cached as that version's); null: not known, not cached.</summary>
    public string? Version { get; init; }

    /// <summary>
    /// Whether P is a compressed file (its name ends in .gz, .xz, .zst or .bz2): then the target holds
    /// P decompressed, so an installed instance is not the published file of its version byte for
    /// byte (no mapping by the published index) and an offset in P is no offset in a slot (no
    /// in-place seeds); seeds are only chunked here.
    /// </summary>
    public bool Compressed => CompressedSuffixes.Any(suffix => FileName.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));

    private static readonly string[] CompressedSuffixes = [".gz", ".xz", ".zst", ".zstd", ".bz2"];
}
