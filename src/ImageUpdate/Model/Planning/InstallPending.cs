using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Model.Planning;

/// <summary>An earlier acquire left the version pending in the target: install turns it final.</summary>
/// <param name="Metadata">The compiled values its names are formatted from (the pending copy's own).</param>
public sealed record InstallPending(string TransferId, Instance Pending, InstanceMetadata Metadata) : TransferStep(TransferId);
