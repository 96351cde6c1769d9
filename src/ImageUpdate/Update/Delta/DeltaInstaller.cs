using System.Security.Cryptography;
using ImageUpdate.Formats.Casync;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Transport;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Delta;

/// <summary>
/// Installs a payload P from its chunk index when the manifest lists <c>P.caibx</c>: the index is
/// downloaded and checked against the manifest's SHA-256 before a byte of it is parsed, the seeds
/// are mapped (by the published index of the version a seed holds, checked the same way, else by
/// chunking the seed here), and P's bytes come out of a <see cref="ChunkRebuildStream"/> (seeds first,
/// then the chunk store). The caller checks the result against P's SHA-256 exactly as it checks a
/// download. The whole file is downloaded instead (one log line says why) when the manifest lists
/// no index, the index cannot be fetched or parsed, the estimated download (the index and every chunk
/// no seed has, at its uncompressed size) is larger than P, or a chunk cannot be had from the store.
/// An index or chunk whose hash is wrong is not a reason to fall back: it is refused
/// (<see cref="VerificationException"/>), as a whole file with a wrong hash is.
/// </summary>
public sealed class DeltaInstaller
{
    /// <summary>The suffix of a payload's index beside it on the server.</summary>
    public const string IndexSuffix = ".caibx";

    /// <summary>An index larger than this is not read (16 MiB: 400 000 chunks, about 25 GiB at casync's average).</summary>
    public const long MaxIndexBytes = 16L << 20;

    private readonly Func<string, IChunkSource?> _chunkStore;
    private readonly ILogger _logger;

    /// <param name="chunkStore">The chunk source for a payload file name (the server's default.castr, a staged pack), or null for none.</param>
    public DeltaInstaller(Func<string, IChunkSource?> chunkStore, ILogger logger)
    {
        _chunkStore = chunkStore;
        _logger = logger;
    }

    /// <summary>
    /// Whether a chunk the store does not have (or cannot deliver after its retries), an index that
    /// cannot be fetched or a poor estimate makes the whole file be downloaded (true, for a server), or
    /// is an error (false: a staged update has no whole file to fall back to).
    /// </summary>
    public bool FallBackToWholeFile { get; init; } = true;

    /// <summary>
    /// For a chunk source that knows all it holds (a staged pack, with <see cref="FallBackToWholeFile"/>
    /// false): called with P's name and the chunks no seed has before the rebuild starts, so before
    /// anything is written; returns the error to stop with when the source lacks one of them, else null.
    /// </summary>
    public Func<string, IReadOnlyList<IndexedChunk>, Exception?>? CheckCoverage { get; init; }

    /// <summary>
    /// Indexes checked against the manifest are kept here (P's, and a seed's version's), and an index
    /// the manifest names by a SHA-256 the cache holds is read from it instead of downloaded; null: none.
    /// </summary>
    public IndexCache? Cache { get; init; }

    /// <summary>
    /// For a source that holds only some of the files its manifest lists (a staged update): whether a
    /// listed file can be opened. An index of a seed's version that the <see cref="Cache"/> does not
    /// hold is read only when it can; null: every listed file can be opened.
    /// </summary>
    public Func<string, bool>? CanOpen { get; init; }

    /// <summary>Chunks fetched ahead of the reader at most.</summary>
    public int Parallelism { get; init; } = 8;

    /// <summary>P's bytes, rebuilt or downloaded; not yet checked against P's SHA-256.</summary>
    public async Task<Stream> OpenAsync(DeltaRequest request, CancellationToken cancellationToken)
    {
        if (request.Index is null)
        {
            _logger.LogDebug("The manifest lists no {Index}, downloading the whole file.", request.FileName + IndexSuffix);
            return await request.Open(request.FileName, cancellationToken).ConfigureAwait(false);
        }

        var remote = _chunkStore(request.FileName);
        if (remote is null)
        {
            return await request.Open(request.FileName, cancellationToken).ConfigureAwait(false);
        }

        var (index, indexBytes, problem) = await ReadIndexAsync(request, request.FileName + IndexSuffix, request.Index, request.Version, cancellationToken).ConfigureAwait(false);
        if (index is null)
        {
            return await WholeAsync(request, problem!, cancellationToken).ConfigureAwait(false);
        }

        request.Counters.AddDownloaded(indexBytes);
        var (seeds, inPlace) = await OpenSeedsAsync(request, index, cancellationToken).ConfigureAwait(false);
        var owned = seeds.Cast<IDisposable>().Concat(inPlace).ToList();
        try
        {
            long reusable = 0;
            var unseeded = new List<IndexedChunk>();
            foreach (var chunk in index.Chunks)
            {
                if (seeds.Any(s => s.Contains(chunk.Id)))
                {
                    reusable += chunk.Length;
                }
                else
                {
                    unseeded.Add(chunk);
                }
            }

            // A slot that may be the one written holds what an interrupted attempt left there: looked
            // at only when the chunks still missing would stop the rebuild or make it a whole download.
            if (inPlace.Count > 0 && unseeded.Count > 0
                && (CheckCoverage?.Invoke(request.FileName, unseeded) is not null || (FallBackToWholeFile && index.BlobSize - reusable + indexBytes > index.BlobSize)))
            {
                var largest = unseeded.Max(c => c.Length);
                foreach (var slot in inPlace)
                {
                    var found = await slot.ProbeAsync(unseeded, largest, cancellationToken).ConfigureAwait(false);
                    var offsets = found.Select(c => c.Offset).ToHashSet();
                    unseeded.RemoveAll(c => offsets.Contains(c.Offset));
                    reusable += found.Sum(c => (long)c.Length);
                    _logger.LogDebug("Seed {Seed} (a slot this rebuild may write into): {Chunks} chunks in place.", slot.Seed, found.Count);
                }
            }

            if (CheckCoverage?.Invoke(request.FileName, unseeded) is { } uncovered)
            {
                throw uncovered;
            }

            var estimate = index.BlobSize - reusable + indexBytes;
            if (FallBackToWholeFile && estimate > index.BlobSize)
            {
                Dispose(owned);
                return await WholeAsync(request, $"the estimated download ({estimate} bytes: the index and {index.BlobSize - reusable} bytes of chunks no seed has) is larger than the file ({index.BlobSize} bytes)", cancellationToken).ConfigureAwait(false);
            }

            var remoteName = remote is RemoteChunkStore store ? DownloadException.Describe(store.Store) : "the chunk source";
            _logger.LogInformation(
                "Rebuilding {File} from its index: {Reused} of {Size} bytes found in seeds, the rest from {Store}.",
                request.FileName, reusable, index.BlobSize, remoteName);
            request.Counters.Active = true;
            request.Counters.Store = remote as RemoteChunkStore;
            return new ChunkRebuildStream(
                index,
                [.. seeds, .. inPlace],
                remote,
                remoteName,
                request.Counters,
                FallBackToWholeFile ? (skip, token) => WholeFromAsync(request, skip, token) : null,
                _logger,
                owned,
                Parallelism);
        }
        catch
        {
            Dispose(owned);
            throw;
        }
    }

    /// <summary>
    /// The index <paramref name="name"/>, checked against its manifest <paramref name="entry"/> before it
    /// is parsed: from the <see cref="Cache"/> when it holds a file of that SHA-256 (then no bytes count
    /// as downloaded), else downloaded and, once checked, kept there as <paramref name="version"/>'s.
    /// </summary>
    private async Task<(CasyncIndex? Index, long Bytes, string? Problem)> ReadIndexAsync(DeltaRequest request, string name, ManifestEntry entry, string? version, CancellationToken cancellationToken)
    {
        if (Cache?.TryRead(entry.Sha256, UntrustedText.Escape(name)) is { } cached)
        {
            return Parse(cached, name, 0);
        }

        if (CanOpen is { } canOpen && !canOpen(name))
        {
            return (null, 0, $"{name} is neither cached nor staged");
        }

        byte[] bytes;
        try
        {
            var input = await request.Open(name, cancellationToken).ConfigureAwait(false);
            await using (input.ConfigureAwait(false))
            {
                using var buffer = new MemoryStream();
                var chunk = new byte[81920];
                int read;
                while ((read = await input.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + read > MaxIndexBytes)
                    {
                        return (null, 0, $"{name} is larger than {MaxIndexBytes} bytes");
                    }

                    buffer.Write(chunk, 0, read);
                }

                bytes = buffer.ToArray();
            }
        }
        catch (DownloadException e) when (FallBackToWholeFile)
        {
            return (null, 0, $"{name} could not be fetched ({e.Message})");
        }

        // The manifest is signed; the index is trusted only once it is the file the manifest lists.
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, entry.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new VerificationException(
                $"SHA-256 of '{UntrustedText.Escape(name)}' ({bytes.Length} bytes) is {actual}, but the manifest lists {entry.Sha256.ToLowerInvariant()}.");
        }

        if (Cache is { } cache && version is not null)
        {
            // What may still be wanted: the version written and the versions the seeds hold (installed).
            cache.Store(entry.Sha256, version, bytes, [.. request.Seeds.Select(s => s.Version).OfType<string>(), .. request.Version is { } writing ? [writing] : Array.Empty<string>()]);
        }

        return Parse(bytes, name, bytes.Length);
    }

    private (CasyncIndex? Index, long Bytes, string? Problem) Parse(byte[] bytes, string name, long downloaded)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            return (CasyncIndex.Read(stream, name), downloaded, null);
        }
        catch (CasyncFormatException e) when (FallBackToWholeFile)
        {
            return (null, 0, e.Message.TrimEnd('.'));
        }
    }

    /// <summary>
    /// The seeds: each one whose version's index the manifest lists is mapped by that index (checked
    /// against the manifest like P's; nothing of the seed is read), any other is chunked here; a slot
    /// the rebuild may write into is only opened (<see cref="InPlaceSeed"/>); for a compressed P
    /// (<see cref="DeltaRequest.Compressed"/>) neither holds, so every seed is chunked. A seed that cannot be
    /// read is skipped. Without a server to fall back to (a staged update), the index must come from
    /// the <see cref="Cache"/> or the staging (<see cref="CanOpen"/>), and since the coverage check
    /// must know what a seed holds, not what it should, a seed mapped so is first checked to hold its
    /// version's file byte for byte (<see cref="SeedFile.HoldsAsync"/>, one SHA-256 pass); one that does
    /// not (changed since, or a wrong map) is chunked here instead, as a seed without an index is.
    /// </summary>
    private async Task<(List<SeedFile> Seeds, List<InPlaceSeed> InPlace)> OpenSeedsAsync(DeltaRequest request, CasyncIndex wanted, CancellationToken cancellationToken)
    {
        var sizes = wanted.Sizes;
        var seeds = new List<SeedFile>();
        var inPlace = new List<InPlaceSeed>();
        try
        {
            foreach (var seed in request.Seeds.Distinct())
            {
                try
                {
                    if (seed.InPlace)
                    {
                        // A compressed P's offsets are not the slot's: the write would overtake the reads.
                        if (!request.Compressed)
                        {
                            inPlace.Add(InPlaceSeed.Open(seed));
                        }

                        continue;
                    }

                    var published = request.Compressed ? null : await PublishedIndexAsync(request, seed, sizes, cancellationToken).ConfigureAwait(false);
                    var file = published is null ? null : SeedFile.FromIndex(seed, published);
                    if (file is not null && !FallBackToWholeFile && !await HoldsVersionAsync(request, file, published!, wanted, cancellationToken).ConfigureAwait(false))
                    {
                        file.Dispose();
                        file = null;
                    }

                    file ??= await SeedFile.OpenAsync(seed, sizes, cancellationToken).ConfigureAwait(false);
                    seeds.Add(file);
                    _logger.LogDebug(
                        "Seed {Seed}: {Chunks} distinct chunks in {Bytes} bytes ({How}).",
                        seed, file.ChunkCount, file.Length, file.FromPublishedIndex ? $"by the published index of version {UntrustedText.Escape(seed.Version!)}" : "chunked here");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _logger.LogDebug("Seed {Seed} cannot be read, skipping it: {Error}", seed, UntrustedText.Escape(e.Message));
                }
            }
        }
        catch
        {
            Dispose([.. seeds, .. inPlace]);
            throw;
        }

        return (seeds, inPlace);
    }

    /// <summary>
    /// Whether <paramref name="file"/>, mapped by its version's <paramref name="index"/>, may be trusted
    /// to hold what the map says where a chunk it lacks could not be fetched instead: it holds the file
    /// the manifest lists for that version byte for byte. A seed that has no chunk of
    /// <paramref name="wanted"/> is not read (it is of no use either way).
    /// </summary>
    private async Task<bool> HoldsVersionAsync(DeltaRequest request, SeedFile file, CasyncIndex index, CasyncIndex wanted, CancellationToken cancellationToken)
    {
        if (!wanted.Chunks.Any(c => file.Contains(c.Id)))
        {
            return true;
        }

        var version = UntrustedText.Escape(file.Seed.Version!);
        if (request.FileOfVersion?.Invoke(file.Seed.Version!) is not { } entry)
        {
            _logger.LogInformation("Seed {Seed}: the manifest lists no file of version {Version} to check it against; chunking it here.", file.Seed, version);
            return false;
        }

        if (await file.HoldsAsync(entry.Sha256, index.BlobSize, cancellationToken).ConfigureAwait(false))
        {
            _logger.LogInformation("Seed {Seed} holds version {Version} byte for byte: mapped by its index.", file.Seed, version);
            return true;
        }

        _logger.LogInformation(
            "Seed {Seed} does not hold version {Version} byte for byte any more (the SHA-256 of its first {Bytes} bytes is not {File}'s): chunking it here.",
            file.Seed, version, index.BlobSize, UntrustedText.Escape(entry.FileName));
        return false;
    }

    /// <summary>
    /// The published index of the version <paramref name="seed"/> holds, when the manifest lists one
    /// and it has P's chunk sizes; null otherwise (the seed is then chunked here). Its bytes count as
    /// downloaded; one whose SHA-256 is not the listed one is refused, as P's index is. Without a
    /// server (<see cref="FallBackToWholeFile"/> false), only a cached or staged copy is read.
    /// </summary>
    private async Task<CasyncIndex?> PublishedIndexAsync(DeltaRequest request, Seed seed, ChunkSizeLimits sizes, CancellationToken cancellationToken)
    {
        if (seed.Version is not { } version || request.IndexOfVersion?.Invoke(version) is not { } entry)
        {
            return null;
        }

        var (index, bytes, problem) = await ReadIndexAsync(request, entry.FileName, entry, version, cancellationToken).ConfigureAwait(false);
        request.Counters.AddDownloaded(bytes);
        if (index is null || index.Sizes != sizes)
        {
            _logger.LogDebug("Seed {Seed}: chunking it here ({Reason}).", seed, problem ?? $"{UntrustedText.Escape(entry.FileName)} has other chunk sizes");
            return null;
        }

        return index;
    }

    private async Task<Stream> WholeAsync(DeltaRequest request, string why, CancellationToken cancellationToken)
    {
        if (!FallBackToWholeFile)
        {
            throw new UpdateException($"Cannot rebuild '{UntrustedText.Escape(request.FileName)}': {why}.");
        }

        _logger.LogInformation("Downloading the whole file {File}: {Reason}.", request.FileName, why);
        return await request.Open(request.FileName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole file with its first <paramref name="skip"/> bytes (already delivered by the rebuild) read and dropped.</summary>
    private static async Task<Stream> WholeFromAsync(DeltaRequest request, long skip, CancellationToken cancellationToken)
    {
        var stream = await request.Open(request.FileName, cancellationToken).ConfigureAwait(false);
        try
        {
            var scratch = new byte[81920];
            var left = skip;
            while (left > 0)
            {
                var read = await stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, left)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                left -= read;
            }

            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void Dispose(IEnumerable<IDisposable> seeds)
    {
        foreach (var seed in seeds)
        {
            seed.Dispose();
        }
    }
}
