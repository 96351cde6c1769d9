namespace ImageUpdate.Update.Verity;

/// <summary>
/// One half of a verity pair whose other half is a disabled transfer (Features=, RequisiteFeatures=):
/// a data partition written without its hash partition, or the reverse, in a version that could carry
/// a signed root hash (<see cref="VerityGroupPlanner.Unpaired"/>).
/// </summary>
/// <param name="Name">The data partition type's name ("usr-x86-64").</param>
/// <param name="EnabledTransfer">The half that is written.</param>
/// <param name="DisabledTransfer">The half that is not.</param>
/// <param name="DisabledRole">"data" or "hash".</param>
public sealed record UnpairedVerityPartition(string Name, string EnabledTransfer, string DisabledTransfer, string DisabledRole);
