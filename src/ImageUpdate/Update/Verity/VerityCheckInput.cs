namespace ImageUpdate.Update.Verity;

/// <summary>What <see cref="VerityCheck"/> reads for one <see cref="VerityGroup"/> of one version.</summary>
public sealed record VerityCheckInput(VerityGroup Group, VerityPart Data, VerityPart Hash, VerityPart? Signature, IReadOnlyList<VerityPart> BootEntries);
