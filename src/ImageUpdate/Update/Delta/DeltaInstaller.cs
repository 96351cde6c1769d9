using System.Security.Cryptography;
using ImageUpdate.Formats.Casync;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Transport;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Delta;

/// <summary>
/// Installs a payload P from its chunk index when the manifest lists <c>P.caibx</c>: the index is
/// downloaded and checked against the manifest's SHA-256 before a byte of it is parsed, the seeds
/// are chunked locally, and P's bytes come out of a <see cref="ChunkRebuildStream"/> (seeds first,
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

        var (index, indexBytes, problem) = await ReadIndexAsync(request, cancellationToken).ConfigureAwait(false);
        if (index is null)
        {
            return await WholeAsync(request, problem!, cancellationToken).ConfigureAwait(false);
        }

        request.Counters.AddDownloaded(indexBytes);
        var seeds = await OpenSeedsAsync(request.Seeds, index.Sizes, cancellationToken).ConfigureAwait(false);
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

            if (CheckCoverage?.Invoke(request.FileName, unseeded) is { } uncovered)
            {
                throw uncovered;
            }

            var estimate = index.BlobSize - reusable + indexBytes;
            if (FallBackToWholeFile && estimate > index.BlobSize)
            {
                Dispose(seeds);
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
                seeds,
                remote,
                remoteName,
                request.Counters,
                FallBackToWholeFile ? (skip, token) => WholeFromAsync(request, skip, token) : null,
                _logger,
                seeds,
                Parallelism);
        }
        catch
        {
            Dispose(seeds);
            throw;
        }
    }

    private async Task<(CasyncIndex? Index, long Bytes, string? Problem)> ReadIndexAsync(DeltaRequest request, CancellationToken cancellationToken)
    {
        var name = request.FileName + IndexSuffix;
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
        if (!string.Equals(actual, request.Index!.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new VerificationException(
                $"SHA-256 of '{UntrustedText.Escape(name)}' ({bytes.Length} bytes) is {actual}, but the manifest lists {request.Index.Sha256.ToLowerInvariant()}.");
        }

        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            return (CasyncIndex.Read(stream, name), bytes.Length, null);
        }
        catch (CasyncFormatException e) when (FallBackToWholeFile)
        {
            return (null, 0, e.Message.TrimEnd('.'));
        }
    }

    private async Task<List<SeedFile>> OpenSeedsAsync(IReadOnlyList<Seed> wanted, ChunkSizeLimits sizes, CancellationToken cancellationToken)
    {
        var seeds = new List<SeedFile>();
        try
        {
            foreach (var seed in wanted.Distinct())
            {
                try
                {
                    var file = await SeedFile.OpenAsync(seed, sizes, cancellationToken).ConfigureAwait(false);
                    seeds.Add(file);
                    _logger.LogDebug("Seed {Seed}: {Chunks} distinct chunks in {Bytes} bytes.", seed, file.ChunkCount, file.Length);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _logger.LogDebug("Seed {Seed} cannot be read, skipping it: {Error}", seed, UntrustedText.Escape(e.Message));
                }
            }
        }
        catch
        {
            Dispose(seeds);
            throw;
        }

        return seeds;
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

    private static void Dispose(List<SeedFile> seeds)
    {
        foreach (var seed in seeds)
        {
            seed.Dispose();
        }
    }
}
