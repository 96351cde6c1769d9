using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Resources;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Update.Engine;

/// <summary>
/// One transfer of the loaded definitions, with its resolved source and target and what they held
/// when loaded. A value: loading the sources makes a new one (<c>with</c>), nothing changes it.
/// </summary>
public sealed record TransferRuntime(TransferDefinition Definition, bool Enabled, ISourceResource Source, ITargetResource Target, string SourcePath, string TargetPath)
{
    public string Id => Definition.Id;

    public ResourceInventory SourceInventory { get; init; } = ResourceInventory.Empty;

    public ResourceInventory TargetInventory { get; init; } = ResourceInventory.Empty;
}
