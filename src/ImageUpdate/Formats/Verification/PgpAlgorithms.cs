using System.Globalization;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// OpenPGP algorithm numbers (RFC 4880 §9, RFC 9580 §9), the policy on them, and gpg's names for
/// keys and curves (<c>rsa3072</c>, <c>ed25519</c>, <c>cv25519</c>), which BouncyCastle does not have.
/// </summary>
internal static class PgpAlgorithms
{
    /// <summary>The RSA modulus sizes accepted for signatures (issue 4: 2048-4096 bits).</summary>
    public const int MinimumRsaBits = 2048;
    public const int MaximumRsaBits = 4096;

    private const int EdDsaLegacy = (int)PublicKeyAlgorithmTag.EdDsa_Legacy;

    // gpg's names for the curve OIDs it uses (RFC 9580 §9.2).
    private static readonly Dictionary<string, string> Curves = new(StringComparer.Ordinal)
    {
        ["1.3.6.1.4.1.11591.15.1"] = "ed25519",
        ["1.3.6.1.4.1.3029.1.5.1"] = "cv25519",
        ["1.2.840.10045.3.1.7"] = "nistp256",
        ["1.3.132.0.34"] = "nistp384",
        ["1.3.132.0.35"] = "nistp521",
        ["1.3.36.3.3.2.8.1.1.7"] = "brainpoolP256r1",
        ["1.3.36.3.3.2.8.1.1.11"] = "brainpoolP384r1",
        ["1.3.36.3.3.2.8.1.1.13"] = "brainpoolP512r1",
    };

    public static string PublicKeyName(int algorithm) => algorithm switch
    {
        1 => "RSA",
        2 => "RSA (encrypt-only)",
        3 => "RSA (sign-only)",
        16 => "Elgamal",
        17 => "DSA",
        18 => "ECDH",
        19 => "ECDSA",
        EdDsaLegacy => "EdDSA",
        25 => "X25519",
        26 => "X448",
        27 => "Ed25519",
        28 => "Ed448",
        _ => "algorithm " + algorithm.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// True for the key algorithms whose fields BouncyCastle 2.7.0 reads (it throws on any other
    /// number, before a key ID can be known): the ones <see cref="PublicKeyName"/> names.
    /// </summary>
    public static bool IsReadByBouncyCastle(int algorithm) => algorithm is 1 or 2 or 3 or 16 or 17 or 18 or 19 or EdDsaLegacy or 25 or 26 or 27 or 28;

    public static string HashName(HashAlgorithmTag algorithm) => algorithm switch
    {
        HashAlgorithmTag.MD5 => "MD5",
        HashAlgorithmTag.Sha1 => "SHA-1",
        HashAlgorithmTag.RipeMD160 => "RIPEMD-160",
        HashAlgorithmTag.Sha256 => "SHA-256",
        HashAlgorithmTag.Sha384 => "SHA-384",
        HashAlgorithmTag.Sha512 => "SHA-512",
        HashAlgorithmTag.Sha224 => "SHA-224",
        HashAlgorithmTag.Sha3_256 => "SHA3-256",
        HashAlgorithmTag.Sha3_512 => "SHA3-512",
        _ => "hash algorithm " + ((int)algorithm).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>True for the signature hashes the policy accepts: SHA-256, SHA-384 and SHA-512.</summary>
    public static bool IsAcceptedHash(HashAlgorithmTag algorithm) =>
        algorithm is HashAlgorithmTag.Sha256 or HashAlgorithmTag.Sha384 or HashAlgorithmTag.Sha512;

    public static bool IsRsa(PublicKeyAlgorithmTag algorithm) =>
        algorithm is PublicKeyAlgorithmTag.RsaGeneral or PublicKeyAlgorithmTag.RsaEncrypt or PublicKeyAlgorithmTag.RsaSign;

    public static DateTimeOffset Created(PgpPublicKey key) => new(DateTime.SpecifyKind(key.CreationTime, DateTimeKind.Utc));

    public static string FingerprintHex(PgpPublicKey key) => Convert.ToHexString(key.GetFingerprint());

    public static string KeyIdHex(long keyId) => keyId.ToString("X16", CultureInfo.InvariantCulture);

    /// <summary>The curve name for ECC keys (gpg's names), null for RSA and others.</summary>
    public static string? Curve(PgpPublicKey key) => key.PublicKeyPacket.Key is ECPublicBcpgKey ec
        ? Curves.GetValueOrDefault(ec.CurveOid.Id, "OID " + ec.CurveOid.Id)
        : null;

    /// <summary>gpg-like short description: rsa3072, ed25519, cv25519, dsa, ...</summary>
    public static string Describe(PgpPublicKey key) => IsRsa(key.Algorithm)
        ? "rsa" + key.BitStrength.ToString(CultureInfo.InvariantCulture)
        : Curve(key) ?? PublicKeyName((int)key.Algorithm).ToLowerInvariant();

    /// <summary>
    /// Why signatures by this key cannot be verified here, or null when they can: RSA and legacy EdDSA
    /// on Ed25519 (what gpg makes) only. RFC 9580's Ed25519 (algorithm 27) keys load, but
    /// BouncyCastle 2.7.0 cannot read version 4 signatures made with them.
    /// </summary>
    public static string? UnsupportedReason(PgpPublicKey key) => key.Algorithm switch
    {
        PublicKeyAlgorithmTag.RsaGeneral or PublicKeyAlgorithmTag.RsaSign => null,
        PublicKeyAlgorithmTag.RsaEncrypt => "it is an encrypt-only RSA key",
        PublicKeyAlgorithmTag.EdDsa_Legacy when Curve(key) is "ed25519" => null,
        PublicKeyAlgorithmTag.EdDsa_Legacy => $"EdDSA on curve {Curve(key)} is not supported",
        PublicKeyAlgorithmTag.Ed25519 => "Ed25519 keys of RFC 9580 (algorithm 27) are not supported; gpg's EdDSA keys (algorithm 22) are",
        _ => $"{PublicKeyName((int)key.Algorithm)} keys are not supported",
    };
}
