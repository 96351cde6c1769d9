using ImageUpdate.Formats.Casync;
using ImageUpdate.Platform.FileSystem;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Publishing;

/// <summary>publish --chunk-store: each payload's casync index and chunks, and the store's pruning.</summary>
public sealed partial class Publisher
{
    /// <summary>Chunks the prepared payload into the store and writes its index, durably, to <paramref name="indexPath"/>.</summary>
    private static async Task<CasyncIndex> IndexAsync(string payloadPath, string indexPath, string outputDirectory, CancellationToken cancellationToken)
    {
        var store = new ChunkStore(Path.Combine(outputDirectory, ChunkStoreName));
        CasyncIndex index;
        await using (var payload = File.OpenRead(payloadPath))
        {
            index = await CasyncBlob.IndexAsync(payload, store, ChunkSizeLimits.Default, cancellationToken).ConfigureAwait(false);
        }

        await using (var file = File.Create(indexPath))
        {
            index.WriteTo(file);
        }

        File.SetUnixFileMode(indexPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Durability.FsyncFile(indexPath);
        return index;
    }

    /// <summary>
    /// Deletes the chunks that no index <paramref name="listed"/> in the new SHA256SUMS references: those
    /// of pruned or replaced versions, and any a failed publish left. When a listed index cannot be
    /// read, nothing is deleted (a chunk it needs might go).
    /// </summary>
    private void PruneChunkStore(string outputDirectory, IEnumerable<string> listed)
    {
        var store = new ChunkStore(Path.Combine(outputDirectory, ChunkStoreName));
        if (!Directory.Exists(store.Root))
        {
            return;
        }

        var referenced = new HashSet<ChunkId>();
        foreach (var name in listed.Where(n => n.EndsWith(IndexSuffix, StringComparison.Ordinal)))
        {
            var path = Path.Combine(outputDirectory, name);
            try
            {
                using var stream = File.OpenRead(path);
                referenced.UnionWith(CasyncIndex.Read(stream, path).Chunks.Select(c => c.Id));
            }
            catch (Exception e) when (e is CasyncFormatException or IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Not pruning {Store}: {Index} cannot be read ({Reason}).", store.Root, path, e.Message);
                return;
            }
        }

        var removed = 0;
        foreach (var id in store.Enumerate().Where(id => !referenced.Contains(id)).ToList())
        {
            store.Remove(id);
            removed++;
        }

        if (removed > 0)
        {
            _logger.LogInformation("Deleted {Count} chunks of {Store} that no listed index references.", removed, ChunkStoreName);
        }
    }
}
