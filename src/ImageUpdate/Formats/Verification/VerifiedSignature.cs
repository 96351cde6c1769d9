namespace ImageUpdate.Formats.Verification;

/// <summary>
/// A signature that verified: the fingerprint of the key that made it (a subkey's when a subkey
/// signed), the fingerprint of its primary key (what <c>keys list</c> shows), and when it was made.
/// </summary>
public sealed record VerifiedSignature(string SigningKeyFingerprint, string PrimaryKeyFingerprint, DateTimeOffset Created);
