using System.Globalization;
using System.Security.Cryptography;

namespace ImageUpdate.Formats.Verification;

/// <summary>OpenPGP algorithm numbers (RFC 4880 §9, RFC 9580 §9) and the policy on them.</summary>
internal static class PgpAlgorithms
{
    public const int Rsa = 1;
    public const int RsaEncryptOnly = 2;
    public const int RsaSignOnly = 3;
    public const int EdDsaLegacy = 22;
    public const int Ed25519 = 27;

    public const int HashSha256 = 8;
    public const int HashSha384 = 9;
    public const int HashSha512 = 10;

    /// <summary>The RSA modulus sizes accepted for signatures (issue 4: 2048-4096 bits).</summary>
    public const int MinimumRsaBits = 2048;
    public const int MaximumRsaBits = 4096;

    public static string PublicKeyName(int algorithm) => algorithm switch
    {
        Rsa => "RSA",
        RsaEncryptOnly => "RSA (encrypt-only)",
        RsaSignOnly => "RSA (sign-only)",
        16 => "Elgamal",
        17 => "DSA",
        18 => "ECDH",
        19 => "ECDSA",
        EdDsaLegacy => "EdDSA",
        25 => "X25519",
        26 => "X448",
        Ed25519 => "Ed25519",
        28 => "Ed448",
        _ => "algorithm " + algorithm.ToString(CultureInfo.InvariantCulture),
    };

    public static string HashName(int algorithm) => algorithm switch
    {
        1 => "MD5",
        2 => "SHA-1",
        3 => "RIPEMD-160",
        HashSha256 => "SHA-256",
        HashSha384 => "SHA-384",
        HashSha512 => "SHA-512",
        11 => "SHA-224",
        12 => "SHA3-256",
        14 => "SHA3-512",
        _ => "hash algorithm " + algorithm.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The .NET name of an accepted signature hash, or null when the policy refuses it.</summary>
    public static HashAlgorithmName? AcceptedHash(int algorithm) => algorithm switch
    {
        HashSha256 => HashAlgorithmName.SHA256,
        HashSha384 => HashAlgorithmName.SHA384,
        HashSha512 => HashAlgorithmName.SHA512,
        _ => null,
    };

    public static bool IsRsa(int algorithm) => algorithm is Rsa or RsaEncryptOnly or RsaSignOnly;
}
