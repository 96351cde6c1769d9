using ImageUpdate.Model.Resources;

namespace ImageUpdate.Update.Transfers;

/// <summary>A place transfers read from: a local directory of files, tarballs or trees, or a URL with a manifest.</summary>
public interface ISourceResource
{
    Task<ResourceInventory> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Opens what <paramref name="instance"/> (found by <see cref="LoadAsync"/>) delivers.</summary>
    SourcePayload Open(Instance instance);
}
