using System.Buffers;
using System.Security.Cryptography;
using ImageUpdate.Formats.Casync;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Platform.Transport;
using ImageUpdate.Update.Delta;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Staging;

/// <summary>
/// The delta part of `fetch --have VERSION`: for each file to stage whose server lists a casync index
/// for it (<c>P.caibx</c>) and for the same transfer's file of VERSION, both indexes are downloaded and
/// checked against the (signed) manifest before they are parsed, and only the chunks the new index has
/// and VERSION's lacks (its last, cut by the end of the file, counts as lacking) are fetched from <c>URL/default.castr/</c>, each decoded and checked against its
/// ID (<see cref="ChunkStore.Decode"/>) before it goes into the one pack
/// (<see cref="StagingFetch.ChunkPackName"/>). The new index is staged instead of the file. A file
/// without an index, a VERSION without one, a file that shares no chunk with VERSION, or a store
/// missing a chunk, is staged whole instead (one log line says why). A chunk the server sends with the
/// wrong size or hash ends the fetch: the server is refused, not trusted.
/// </summary>
internal sealed class StagingDeltaFetch(UrlFetcher fetcher, string baseUrl, Sha256Manifest manifest, string staging, ILogger logger)
{
    private const string IndexSuffix = DeltaInstaller.IndexSuffix;
    private const int Parallelism = 4;

    /// <summary>What was staged as a delta: the files (by manifest name) whose index and chunks stand in for them.</summary>
    public sealed record Result(IReadOnlySet<string> Files, IReadOnlyList<string> StagedNames, int Chunks, long StoredBytes);

    /// <summary>
    /// Stages, for each (new file, the same transfer's file of <paramref name="have"/>) pair that can go
    /// as a delta, the new index, and one pack of the chunks they need; null when none can.
    /// </summary>
    public async Task<Result?> RunAsync(IReadOnlyList<(ManifestEntry New, ManifestEntry? Old)> files, string have, CancellationToken cancellationToken)
    {
        var deltas = new List<(ManifestEntry Entry, ManifestEntry IndexEntry, byte[] Index, long Size, IReadOnlyList<IndexedChunk> Missing)>();
        foreach (var (entry, old) in files)
        {
            var name = UntrustedText.Escape(entry.FileName);
            if (manifest.Find(entry.FileName + IndexSuffix) is not { } indexEntry)
            {
                logger.LogInformation("The server lists no index for '{Name}': staging the whole file.", name);
                continue;
            }

            if (old?.FileName is not { } oldName || manifest.Find(oldName + IndexSuffix) is not { } oldIndexEntry)
            {
                logger.LogInformation("The server lists no index of version '{Have}' beside '{Name}': staging the whole file.", UntrustedText.Escape(have), name);
                continue;
            }

            var index = await FetchIndexAsync(indexEntry, cancellationToken).ConfigureAwait(false);
            var oldIndex = index is null ? null : await FetchIndexAsync(oldIndexEntry, cancellationToken).ConfigureAwait(false);
            if (index is null || oldIndex is null)
            {
                logger.LogInformation("The server has no index '{Index}' any more: staging '{Name}' whole.", UntrustedText.Escape((index is null ? indexEntry : oldIndexEntry).FileName), name);
                continue;
            }

            var parsed = CasyncIndex.Read(new MemoryStream(index), DownloadException.Describe(RemoteManifests.Entry(baseUrl, indexEntry.FileName)));
            var oldParsed = CasyncIndex.Read(new MemoryStream(oldIndex), DownloadException.Describe(RemoteManifests.Entry(baseUrl, oldIndexEntry.FileName)));
            // What the host can take from its installed copy: every chunk of VERSION's index but the
            // last, which the end of the file cut, not its content. A partition slot holding VERSION goes
            // on past that end, so the host's chunker cuts it differently there and never finds it.
            var known = oldParsed.Chunks.Take(oldParsed.Chunks.Count - 1).Select(c => c.Id).ToHashSet();
            var missing = parsed.Chunks.Where(c => !known.Contains(c.Id)).DistinctBy(c => c.Id).ToList();
            if (parsed.Chunks.Count > 0 && missing.Count == parsed.Chunks.DistinctBy(c => c.Id).Count())
            {
                logger.LogInformation("'{Name}' shares no chunk with version '{Have}': staging the whole file.", name, UntrustedText.Escape(have));
                continue;
            }

            deltas.Add((entry, indexEntry, index, parsed.BlobSize, missing));
        }

        if (deltas.Count == 0)
        {
            return null;
        }

        var needed = deltas.SelectMany(d => d.Missing).DistinctBy(c => c.Id).OrderBy(c => c.Id).ToList();
        var stored = await WritePackAsync(needed, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }

        foreach (var delta in deltas)
        {
            WriteDurably(staging, delta.IndexEntry.FileName, delta.Index);
        }

        var staged = deltas.Select(d => d.IndexEntry.FileName).Append(StagingFetch.ChunkPackName).ToList();
        logger.LogInformation(
            "Staged {Chunks} chunks ({Stored} bytes) that version '{Have}' lacks, instead of {Whole} bytes of whole files.",
            needed.Count, stored.Value, UntrustedText.Escape(have), deltas.Sum(d => d.Size));
        return new Result(deltas.Select(d => d.Entry.FileName).ToHashSet(StringComparer.Ordinal), staged, needed.Count, stored.Value);
    }

    /// <summary>The index's bytes, checked against the manifest before anyone parses them; null when the server has none.</summary>
    private async Task<byte[]?> FetchIndexAsync(ManifestEntry entry, CancellationToken cancellationToken)
    {
        var url = RemoteManifests.Entry(baseUrl, entry.FileName);
        var bytes = await fetcher.GetSmallAsync(url, DeltaInstaller.MaxIndexBytes, cancellationToken).ConfigureAwait(false);
        if (bytes is not null && !entry.Matches(SHA256.HashData(bytes)))
        {
            throw new VerificationException($"'{UntrustedText.Escape(entry.FileName)}' from {DownloadException.Describe(url)} does not match its SHA256SUMS line.");
        }

        return bytes;
    }

    /// <summary>
    /// Writes the pack of <paramref name="needed"/> under a temporary name and renames it into place;
    /// returns the stored bytes it holds, or null (and no pack) when the store lacks a chunk. Up to
    /// <see cref="Parallelism"/> chunks are in flight, and they are written in ID order, so the same
    /// chunks give the same pack. Chunks an earlier fetch already staged in a pack are taken from it
    /// (checked like fetched ones) instead of being fetched again.
    /// </summary>
    private async Task<long?> WritePackAsync(IReadOnlyList<IndexedChunk> needed, CancellationToken cancellationToken)
    {
        var final = Path.Combine(staging, StagingFetch.ChunkPackName);
        var partial = Path.Combine(staging, "." + StagingFetch.ChunkPackName + ".partial");
        var earlier = OpenEarlierPack(final);
        using var gate = new SemaphoreSlim(1, 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new Queue<Task<byte[]>>();
        long storedBytes = 0;
        try
        {
            await using (var output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                var writer = new ChunkPackWriter(output);
                foreach (var chunk in needed)
                {
                    if (inFlight.Count == Parallelism)
                    {
                        storedBytes += await WriteNextAsync(inFlight, writer, needed).ConfigureAwait(false);
                    }

                    inFlight.Enqueue(StoredChunkAsync(chunk, earlier, gate, stop.Token));
                }

                while (inFlight.Count > 0)
                {
                    storedBytes += await WriteNextAsync(inFlight, writer, needed).ConfigureAwait(false);
                }

                writer.Complete();
            }

            Durability.FsyncFile(partial);
            AtomicRename.Rename(partial, final, replace: true);
            return storedBytes;
        }
        catch (Exception e)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var pending in inFlight)
            {
                await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            File.Delete(partial);
            if (e is MissingChunkException missing)
            {
                logger.LogInformation("The server's chunk store has no chunk {Chunk}: staging whole files instead.", missing.Id);
                return null;
            }

            throw;
        }
        finally
        {
            DisposeOf(earlier);
        }
    }

    private static async Task<long> WriteNextAsync(Queue<Task<byte[]>> inFlight, ChunkPackWriter writer, IReadOnlyList<IndexedChunk> needed)
    {
        var bytes = await inFlight.Peek().ConfigureAwait(false);
        _ = inFlight.Dequeue();
        writer.Add(needed[writer.Count].Id, bytes);
        return bytes.Length;
    }

    /// <summary>The stored bytes of one chunk, from an earlier pack or the server, checked against its ID (decoded into a scratch buffer).</summary>
    private async Task<byte[]> StoredChunkAsync(IndexedChunk chunk, (ChunkPack Pack, Stream Stream)? earlier, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(chunk.Length);
        try
        {
            if (earlier is { } kept && kept.Pack.Contains(chunk.Id))
            {
                // The earlier pack is as untrusted as the server: a chunk that does not decode is fetched again.
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var stored = kept.Pack.ReadStored(kept.Stream, chunk.Id, chunk.Length)!;
                    ChunkStore.Decode(kept.Pack.Origin(chunk.Id), chunk.Id, stored, scratch.AsSpan(0, chunk.Length));
                    return stored;
                }
                catch (CasyncFormatException)
                {
                }
                finally
                {
                    gate.Release();
                }
            }

            var hex = chunk.Id.ToString();
            var url = RemoteManifests.Entry(baseUrl, $"{UpdateEngine.ChunkStoreDirectory}/{hex[..4]}/{hex}{ChunkStore.ChunkSuffix}");
            var fetched = await fetcher.GetSmallAsync(url, ChunkStore.MaxCompressedLength(chunk.Length), cancellationToken).ConfigureAwait(false)
                ?? throw new MissingChunkException(chunk.Id);
            ChunkStore.Decode(DownloadException.Describe(url), chunk.Id, fetched, scratch.AsSpan(0, chunk.Length));
            return fetched;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>The pack an earlier fetch staged, when it is still a well-formed one, with the stream it is read from.</summary>
    private (ChunkPack Pack, Stream Stream)? OpenEarlierPack(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            return (ChunkPack.Read(stream, path), stream);
        }
        catch (CasyncFormatException e)
        {
            stream.Dispose();
            logger.LogInformation("Not reusing the chunks in '{Pack}': {Problem}", path, e.Message);
            return null;
        }
    }

    private static void DisposeOf((ChunkPack Pack, Stream Stream)? pack) => pack?.Stream.Dispose();

    internal static void WriteDurably(string directory, string name, byte[] bytes)
    {
        var temporary = Path.Combine(directory, "." + name + ".tmp");
        File.WriteAllBytes(temporary, bytes);
        Durability.FsyncFile(temporary);
        AtomicRename.Rename(temporary, Path.Combine(directory, name), replace: true);
    }

    private sealed class MissingChunkException(ChunkId id) : Exception($"Chunk {id} is not in the store.")
    {
        public ChunkId Id { get; } = id;
    }
}
