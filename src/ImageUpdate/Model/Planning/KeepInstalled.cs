using ImageUpdate.Model.Resources;

namespace ImageUpdate.Model.Planning;

/// <summary>The target already holds the version: nothing is written, install only re-points CurrentSymlink=.</summary>
public sealed record KeepInstalled(string TransferId, Instance Installed) : TransferStep(TransferId);
