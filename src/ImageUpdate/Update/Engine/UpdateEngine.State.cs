using ImageUpdate.Model.Resources;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Update.Delta;

namespace ImageUpdate.Update.Engine;

public sealed partial class UpdateEngine
{
    /// <summary>image-update's own state on a host, inside the root: what can be rebuilt or downloaded again (the index cache).</summary>
    public const string StateDirectory = "/var/lib/image-update";

    /// <summary>
    /// The cache of verified chunk indexes (<see cref="IndexCache"/>): below $IMAGE_UPDATE_STATE_DIRECTORY
    /// when set, else below <see cref="StateDirectory"/> of the root (so `--root DIR` keeps it in DIR, as
    /// the installation database is). None for `--image`: the disk image is not this host, its own
    /// root file system is neither mounted nor, as a verity image, writable, and the host's state
    /// directory would then carry entries of an image that may be gone tomorrow, pruned by versions
    /// that are another image's; an image is serviced seldom enough that downloading its installed
    /// version's index again costs little.
    /// </summary>
    private IndexCache? IndexCacheOrNull() => IndexCacheFor(_options, _logger);

    /// <summary>The index cache <paramref name="options"/> give (see <see cref="IndexCacheOrNull"/>), also for a staged update's rebuild.</summary>
    internal static IndexCache? IndexCacheFor(EngineOptions options, Microsoft.Extensions.Logging.ILogger logger)
    {
        if (options.Image is not null)
        {
            return null;
        }

        // One cache per component (as the installation database has), so that pruning to one
        // component's installed versions never empties another's.
        var state = options.Environment.StateDirectory ?? RootedPath.Resolve(options.Root, StateDirectory);
        var name = options.Component is { } component ? $"{IndexCache.DirectoryName}.{component}" : IndexCache.DirectoryName;
        return new IndexCache(Path.Join(state, name), logger);
    }

    /// <summary>
    /// After a vacuum, the index cache keeps only the versions some target still holds complete (and
    /// the version about to be written), so it never grows past what the targets hold.
    /// </summary>
    private void PruneIndexCache(LoadedContext context, IReadOnlySet<Instance> removed, string? extraProtected)
    {
        var keep = context.All
            .SelectMany(t => t.TargetInventory.Instances)
            .Where(i => !i.IsPartial && !removed.Contains(i))
            .Select(i => i.Metadata.Version)
            .OfType<string>()
            .ToList();
        if (extraProtected is not null)
        {
            keep.Add(extraProtected);
        }

        IndexCacheOrNull()?.Prune(keep);
    }
}
