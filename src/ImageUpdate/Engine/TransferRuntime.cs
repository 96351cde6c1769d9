using ImageUpdate.Definitions;
using ImageUpdate.Resources;
using ImageUpdate.Transfers;

namespace ImageUpdate.Engine;

/// <summary>One transfer of the loaded definitions, with its resolved source and target and what they hold.</summary>
public sealed class TransferRuntime
{
    public TransferRuntime(TransferDefinition definition, bool enabled, ISourceResource source, ITargetResource target, string sourcePath, string targetPath)
    {
        Definition = definition;
        Enabled = enabled;
        Source = source;
        Target = target;
        SourcePath = sourcePath;
        TargetPath = targetPath;
    }

    public TransferDefinition Definition { get; }

    public string Id => Definition.Id;

    /// <summary>False when its features are disabled: ignored for updates, wiped by vacuum.</summary>
    public bool Enabled { get; }

    public ISourceResource Source { get; }

    public ITargetResource Target { get; }

    public string SourcePath { get; }

    public string TargetPath { get; }

    public ResourceInventory SourceInventory { get; set; } = ResourceInventory.Empty;

    public ResourceInventory TargetInventory { get; set; } = ResourceInventory.Empty;
}
