using ImageUpdate.Formats.Casync;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Update.Delta;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Staging;

/// <summary>
/// The host's side of a staged delta (`fetch --have`): a file P that the signed manifest lists with
/// P.caibx, staged as that index and the pack <see cref="StagingFetch.ChunkPackName"/> instead of
/// itself, is rebuilt by a <see cref="DeltaInstaller"/> from the host's installed instances (seeds)
/// and the pack, which is opened through the validated snapshot's directory handle like every staged
/// file and read (its table checked) once per run. Nothing from the pack is trusted: every chunk is
/// decoded and checked against its ID, the index against the manifest, the whole file against P's
/// SHA-256. There is no whole file to fall back to, so before the rebuild starts every chunk must be
/// in a seed or in the pack; otherwise the update stops, before anything is written, with one line
/// naming the version to fetch again. A file staged whole is read whole, as before.
/// An installed instance is mapped by its version's index when the host's verified index
/// <paramref name="cache"/> (or the staging) holds the one the signed manifest lists, and only once it
/// is checked to hold that version's file byte for byte; otherwise it is chunked here. The index of
/// what is installed is kept in the cache, so the next staged update finds it there.
/// </summary>
internal sealed class StagedChunks(ValidatedStaging validated, IndexCache? cache, ILogger logger) : IDisposable
{
    private PackChunkSource? _pack;

    /// <summary>The installer for <paramref name="transfer"/>'s files.</summary>
    public DeltaInstaller Installer(TransferDefinition transfer) => new(ChunkSource, logger)
    {
        FallBackToWholeFile = false,
        CheckCoverage = (name, unseeded) => Uncovered(transfer, name, unseeded),
        Cache = cache,
        CanOpen = validated.Contains,
    };

    public void Dispose() => _pack?.Dispose();

    /// <summary>The pack, for a file that was not staged whole while a pack was; null otherwise (the file is then read whole, or refused as not staged).</summary>
    private PackChunkSource? ChunkSource(string name)
    {
        if (validated.Contains(name) || !validated.Contains(StagingFetch.ChunkPackName))
        {
            return null;
        }

        if (_pack is null)
        {
            var stream = validated.OpenSeekable(StagingFetch.ChunkPackName);
            try
            {
                _pack = new PackChunkSource(stream, Path.Combine(validated.Path, StagingFetch.ChunkPackName));
            }
            catch
            {
                stream.Dispose();
                throw;
            }

            logger.LogInformation("The staged pack holds {Count} chunks.", _pack.Pack.Count);
        }

        return _pack;
    }

    private UpdateException? Uncovered(TransferDefinition transfer, string name, IReadOnlyList<IndexedChunk> unseeded)
    {
        var missing = unseeded.Where(c => !_pack!.Pack.Contains(c.Id)).DistinctBy(c => c.Id).ToList();
        if (missing.Count == 0)
        {
            return null;
        }

        var version = transfer.Source.Patterns.Match(name).Metadata?.Version is { } v ? $"version '{UntrustedText.Escape(v)}'" : "it";
        return new UpdateException(
            $"Cannot rebuild '{UntrustedText.Escape(name)}' from the staged update: {missing.Count} of its chunks ({missing.Sum(c => (long)c.Length)} bytes) are neither in the staged {StagingFetch.ChunkPackName} nor in an installed copy; fetch {version} again without --have.");
    }
}
