using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// The hashing and the public-key arithmetic behind OpenPGP signatures. RSA (PKCS#1 v1.5, RFC 4880
/// §5.2.2) goes to .NET's RSA (OpenSSL); Ed25519 to BouncyCastle's RFC 8032 code, which 1.8.10 has
/// even though its OpenPGP layer cannot load EdDSA keys.
/// </summary>
internal static class PgpCrypto
{
    /// <summary>
    /// Appends the signature's hashed part and the v4 trailer (RFC 4880 §5.2.4) to a hash that has
    /// already taken what was signed, and returns the digest.
    /// </summary>
    public static byte[] Finish(IncrementalHash hash, PgpSignature signature)
    {
        hash.AppendData(signature.HashedPart);
        Span<byte> trailer = stackalloc byte[6];
        trailer[0] = 0x04;
        trailer[1] = 0xff;
        BinaryPrimitives.WriteUInt32BigEndian(trailer[2..], (uint)signature.HashedPart.Length);
        hash.AppendData(trailer);
        return hash.GetHashAndReset();
    }

    /// <summary>RFC 4880 §5.2.4: a key is hashed as 0x99, its two-byte length and its body.</summary>
    public static void AppendKey(IncrementalHash hash, PgpPublicKey key)
    {
        Span<byte> prefix = [0x99, (byte)(key.Body.Length >> 8), (byte)key.Body.Length];
        hash.AppendData(prefix);
        hash.AppendData(key.Body);
    }

    /// <summary>RFC 4880 §5.2.4: a user ID is hashed as 0xB4, its four-byte length and its bytes.</summary>
    public static void AppendUserId(IncrementalHash hash, ReadOnlySpan<byte> userId)
    {
        Span<byte> prefix = stackalloc byte[5];
        prefix[0] = 0xb4;
        BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)userId.Length);
        hash.AppendData(prefix);
        hash.AppendData(userId);
    }

    /// <summary>
    /// RFC 4880 §5.2.1 type 0x01: a text signature covers the data with every line ending as CR LF.
    /// Bare LFs get a CR; an existing CR LF stays as it is.
    /// </summary>
    public static void AppendCanonicalText(IncrementalHash hash, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> crlf = "\r\n"u8;
        var start = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] == (byte)'\n' && (i == 0 || data[i - 1] != (byte)'\r'))
            {
                hash.AppendData(data[start..i]);
                hash.AppendData(crlf);
                start = i + 1;
            }
        }

        hash.AppendData(data[start..]);
    }

    /// <summary>
    /// True when <paramref name="signature"/> by <paramref name="key"/> is valid over <paramref name="digest"/>.
    /// False for any mismatch, including malformed key material the primitives reject.
    /// </summary>
    public static bool Verify(PgpPublicKey key, PgpSignature signature, byte[] digest, HashAlgorithmName hash)
    {
        // The two "begin of digest" bytes are only a quick check (RFC 4880 §5.2.3), but a mismatch
        // already proves the signature wrong.
        var sameFamily = PgpAlgorithms.IsRsa(key.Algorithm)
            ? PgpAlgorithms.IsRsa(signature.PublicKeyAlgorithm)
            : key.Algorithm == signature.PublicKeyAlgorithm;
        if (!sameFamily || BinaryPrimitives.ReadUInt16BigEndian(digest) != signature.HashPrefix)
        {
            return false;
        }

        try
        {
            if (key.RsaModulus is { } modulus && key.RsaExponent is { } exponent && PgpAlgorithms.IsRsa(signature.PublicKeyAlgorithm))
            {
                if (signature.Value.Length > modulus.Length)
                {
                    return false;
                }

                // The MPI dropped leading zero bytes; PKCS#1 wants exactly the modulus length.
                var padded = new byte[modulus.Length];
                signature.Value.CopyTo(padded.AsSpan(modulus.Length - signature.Value.Length));
                using var rsa = RSA.Create();
                rsa.ImportParameters(new RSAParameters { Modulus = modulus, Exponent = exponent });
                return rsa.VerifyHash(digest, padded, hash, RSASignaturePadding.Pkcs1);
            }

            if (key.Ed25519Point is { } point && signature.PublicKeyAlgorithm is PgpAlgorithms.EdDsaLegacy or PgpAlgorithms.Ed25519)
            {
                // OpenPGP's EdDSA signs the digest as the message, with pure Ed25519 (RFC 9580 §5.2.3.3).
                return Ed25519.Verify(signature.Value, 0, point, 0, digest, 0, digest.Length);
            }

            return false;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or InvalidOperationException)
        {
            // Key material the primitive refuses (an even modulus, an invalid point) verifies nothing.
            return false;
        }
    }
}
