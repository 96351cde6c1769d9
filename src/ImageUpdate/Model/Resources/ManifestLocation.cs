using ImageUpdate.Formats.Verification;

namespace ImageUpdate.Model.Resources;

/// <summary>An entry of a verified SHA256SUMS manifest: the listed name and its hash.</summary>
public sealed record ManifestLocation(ManifestEntry Entry) : InstanceLocation;
