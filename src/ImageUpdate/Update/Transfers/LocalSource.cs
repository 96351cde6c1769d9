using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// A regular-file, tar or directory source: instances are entries of a local directory. Nothing is
/// verified here (sysupdate checks hashes only for URL sources); the staging flow verifies first.
/// </summary>
public sealed class LocalSource : ISourceResource
{
    private readonly SourceDefinition _definition;

    public LocalSource(SourceDefinition definition, string directory)
    {
        if (definition.Type is not (ResourceType.RegularFile or ResourceType.Tar or ResourceType.Directory or ResourceType.Subvolume))
        {
            throw new ArgumentException("Only local sources live in a directory.", nameof(definition));
        }

        _definition = definition;
        Directory = directory;
    }

    public string Directory { get; }

    public Task<ResourceInventory> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(DirectoryScanner.Load(
        Directory,
        _definition.Patterns,
        _definition.Type is ResourceType.Directory or ResourceType.Subvolume ? DirectoryScanner.EntryKind.Directory : DirectoryScanner.EntryKind.RegularFile));

    public SourcePayload Open(Instance instance) => _definition.Type switch
    {
        ResourceType.Directory or ResourceType.Subvolume => SourcePayload.FromDirectory(instance.Path),
        ResourceType.Tar => SourcePayload.FromStream(PayloadKind.Tar, instance.Path, _ => Task.FromResult(OpenRead(instance.Path))),
        _ => SourcePayload.FromStream(PayloadKind.File, instance.Path, _ => Task.FromResult(OpenRead(instance.Path))),
    };

    /// <summary>A regular-file source's length when it is not compressed.</summary>
    public Task<long?> SizeAsync(Instance instance, CancellationToken cancellationToken) =>
        Task.FromResult(_definition.Type == ResourceType.RegularFile ? LocalPayloadSize.Of(instance.Path) : null);

    private static Stream OpenRead(string path) =>
        new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.SequentialScan });
}
