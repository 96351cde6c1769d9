using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Model.Planning;

/// <summary>Only the source has the version: acquire writes a new copy named and stamped with <paramref name="Metadata"/>.</summary>
/// <param name="Metadata">The compiled values (<see cref="StepPlanner.CompileMetadata"/>): names and attributes of the new copy.</param>
public sealed record AcquireFromSource(string TransferId, Instance Source, InstanceMetadata Metadata) : TransferStep(TransferId);
