using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// Checks a detached OpenPGP signature (SHA256SUMS.gpg or .asc, binary or armored) over data against
/// trusted keys. Callers verify the manifest's signature before they parse the manifest.
/// </summary>
public interface ISignatureVerifier
{
    /// <summary>Returns which key made a valid signature over <paramref name="data"/>.</summary>
    /// <exception cref="VerificationException">No signature in <paramref name="signature"/> is valid and acceptable, with the reason.</exception>
    VerifiedSignature VerifyDetached(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, Keyring keyring);
}
