using ImageUpdate.Model.Resources;

namespace ImageUpdate.Update.Transfers;

/// <summary>A place transfers read from: a local directory of files, tarballs or trees, or a URL with a manifest.</summary>
public interface ISourceResource
{
    Task<ResourceInventory> LoadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The bytes <paramref name="instance"/> will write, when known without reading it (an uncompressed
    /// local or staged file's length); null otherwise: a compressed payload's size is only known by
    /// decompressing it, a download's once it starts.
    /// </summary>
    Task<long?> SizeAsync(Instance instance, CancellationToken cancellationToken) => Task.FromResult<long?>(null);

    /// <summary>Opens what <paramref name="instance"/> (found by <see cref="LoadAsync"/>) delivers.</summary>
    SourcePayload Open(Instance instance);
}
