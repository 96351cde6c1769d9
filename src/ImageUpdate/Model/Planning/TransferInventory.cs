using ImageUpdate.Model.Resources;

namespace ImageUpdate.Model.Planning;

/// <summary>What planning needs to know of one enabled transfer: both inventories and its version rules.</summary>
public sealed record TransferInventory(
    string Id,
    ResourceInventory Source,
    ResourceInventory Target,
    string? MinVersion,
    string? MaxVersion,
    IReadOnlyList<string> ProtectedVersions);
