using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Utilities;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// The cryptographic check of a signature, done by BouncyCastle (<see cref="PgpSignature.InitVerify"/>,
/// <c>Update</c>, <see cref="PgpSignature.Verify"/>: the hashing with the v4 trailer, PKCS#1 v1.5 for
/// RSA, RFC 8032 for legacy EdDSA). What is hashed before the trailer for key signatures follows RFC
/// 4880 §5.2.4 (0x99 and the key, 0xB4 and the user ID's raw bytes): BouncyCastle's own
/// <c>VerifyCertification</c> takes a user ID as a string and has no form for a direct-key signature.
/// </summary>
internal static class PgpSignatureCheck
{
    /// <summary>
    /// True when <paramref name="signature"/> by <paramref name="signer"/> is valid over
    /// <paramref name="data"/> (a document). False for any mismatch, including key material or
    /// signature values the primitives reject.
    /// </summary>
    public static bool VerifyDocument(PgpSignature signature, PgpPublicKey signer, ReadOnlySpan<byte> data)
    {
        if (!SameFamily(signature, signer) || !QuickCheckHolds(signature, data))
        {
            return false;
        }

        if (signature.SignatureType == PgpSignature.CanonicalTextDocument)
        {
            return VerifyCanonicalText(signature, signer, data);
        }

        try
        {
            WithoutModulusPrimalityTest(() => signature.InitVerify(signer));
            signature.Update(data);
            return signature.Verify();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Key material or a value the primitive refuses (an even modulus, an invalid point, an
            // EdDSA value longer than 32 bytes) verifies nothing.
            return false;
        }
    }

    /// <summary>
    /// A text signature (type 0x01) the way gpg checks it: each LF not preceded by CR becomes CR LF
    /// and every other byte, a bare CR included, is hashed as it is. BouncyCastle's text hashing
    /// also turns a bare CR into CR LF, so it would refuse gpg's signature over such data and accept
    /// one over other bytes; so the digest is ours and BouncyCastle checks the value over it.
    /// </summary>
    private static bool VerifyCanonicalText(PgpSignature signature, PgpPublicKey signer, ReadOnlySpan<byte> data)
    {
        (HashAlgorithmName Name, DerObjectIdentifier Oid)? hash = signature.HashAlgorithm switch
        {
            HashAlgorithmTag.Sha256 => (HashAlgorithmName.SHA256, NistObjectIdentifiers.IdSha256),
            HashAlgorithmTag.Sha384 => (HashAlgorithmName.SHA384, NistObjectIdentifiers.IdSha384),
            HashAlgorithmTag.Sha512 => (HashAlgorithmName.SHA512, NistObjectIdentifiers.IdSha512),
            _ => null,
        };
        if (hash is null)
        {
            return false;
        }

        using var hasher = IncrementalHash.CreateHash(hash.Value.Name);
        var start = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] == (byte)'\n' && (i == 0 || data[i - 1] != (byte)'\r'))
            {
                hasher.AppendData(data[start..i]);
                hasher.AppendData("\r\n"u8);
                start = i + 1;
            }
        }

        hasher.AppendData(data[start..]);
        hasher.AppendData(signature.GetSignatureTrailer());
        var digest = hasher.GetHashAndReset();
        var prefix = signature.GetDigestPrefix();
        if (prefix.Length != 2 || digest[0] != prefix[0] || digest[1] != prefix[1])
        {
            return false;
        }

        try
        {
            // RSA: PKCS#1 v1.5 over the digest (NullDigest passes it through); legacy EdDSA: Ed25519
            // over the digest as the message (RFC 4880bis §5.2.4), R and S as 64 bytes.
            ISigner check = PgpAlgorithms.IsRsa(signer.Algorithm) ? new RsaDigestSigner(new NullDigest(), hash.Value.Oid) : new Ed25519Signer();
            var key = WithoutModulusPrimalityTest(signer.GetKey);
            check.Init(false, key);
            check.BlockUpdate(digest, 0, digest.Length);
            return check.VerifySignature(signature.GetSignature());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>
    /// True when a key signature verifies: over the primary key, then the user ID or the subkey when
    /// given (certifications, bindings, revocations, direct-key signatures).
    /// </summary>
    public static bool VerifyKeySignature(PgpSignature signature, PgpPublicKey signer, PgpPublicKey primary, byte[]? userId, PgpPublicKey? subkey)
    {
        if (!SameFamily(signature, signer))
        {
            return false;
        }

        try
        {
            WithoutModulusPrimalityTest(() => signature.InitVerify(signer));
            UpdateWithKey(signature, primary);
            if (userId is not null)
            {
                signature.Update(0xb4, (byte)(userId.Length >> 24), (byte)(userId.Length >> 16), (byte)(userId.Length >> 8), (byte)userId.Length);
                signature.Update(userId);
            }

            if (subkey is not null)
            {
                UpdateWithKey(signature, subkey);
            }

            return signature.Verify();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> with BouncyCastle's Miller-Rabin test of RSA moduli turned off
    /// (its other checks, an odd modulus without small factors of at most 16384 bits, stay). BouncyCastle
    /// 2.7.0 repeats that test each time it decodes a key, with no cache, about 10 ms for a 3072-bit
    /// modulus; neither gpg nor OpenSSL (which checked signatures here before) makes it, and a trusted
    /// key with a prime modulus is its owner's mistake, not an attacker's input.
    /// </summary>
    public static void WithoutModulusPrimalityTest(Action action) =>
        Properties.WithThreadProperty(Properties.RsaMaxMRTests, "0", action);

    public static T WithoutModulusPrimalityTest<T>(Func<T> func) =>
        Properties.WithThreadProperty(Properties.RsaMaxMRTests, "0", func);

    /// <summary>
    /// RFC 4880 §5.2.3: the signature carries the first two bytes of its digest as a quick check. A
    /// mismatch already proves a binary signature wrong, and finding it costs one hash where
    /// BouncyCastle's managed big-integer RSA costs milliseconds. (BouncyCastle does not look at them.)
    /// </summary>
    private static bool QuickCheckHolds(PgpSignature signature, ReadOnlySpan<byte> data)
    {
        HashAlgorithmName? hash = signature.HashAlgorithm switch
        {
            HashAlgorithmTag.Sha256 => HashAlgorithmName.SHA256,
            HashAlgorithmTag.Sha384 => HashAlgorithmName.SHA384,
            HashAlgorithmTag.Sha512 => HashAlgorithmName.SHA512,
            _ => null,
        };
        if (signature.SignatureType != PgpSignature.BinaryDocument || hash is null)
        {
            return true;
        }

        using var hasher = IncrementalHash.CreateHash(hash.Value);
        hasher.AppendData(data);
        hasher.AppendData(signature.GetSignatureTrailer());
        var digest = hasher.GetHashAndReset();
        var prefix = signature.GetDigestPrefix();
        return prefix.Length == 2 && digest[0] == prefix[0] && digest[1] == prefix[1];
    }

    private static void UpdateWithKey(PgpSignature signature, PgpPublicKey key)
    {
        var body = key.PublicKeyPacket.GetEncodedContents();
        signature.Update(0x99, (byte)(body.Length >> 8), (byte)body.Length);
        signature.Update(body);
    }

    // BouncyCastle picks the primitive by the signature's algorithm; a key of another family is a mismatch.
    private static bool SameFamily(PgpSignature signature, PgpPublicKey key) => PgpAlgorithms.IsRsa(key.Algorithm)
        ? PgpAlgorithms.IsRsa(signature.KeyAlgorithm)
        : key.Algorithm == signature.KeyAlgorithm;
}
