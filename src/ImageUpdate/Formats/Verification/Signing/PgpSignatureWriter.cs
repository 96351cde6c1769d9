using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace ImageUpdate.Formats.Verification.Signing;

/// <summary>
/// Makes a version 4 detached signature packet over a binary document (RFC 4880 §5.2.3, type 0x00),
/// as <c>gpg --detach-sign</c> does: hashed subpackets signature creation time (2) and issuer
/// fingerprint (33, RFC 9580 §5.2.3.35), unhashed issuer key ID (16), SHA-512.
/// </summary>
internal static class PgpSignatureWriter
{
    private const int SubpacketCreationTime = 2;
    private const int SubpacketIssuerKeyId = 16;
    private const int SubpacketIssuerFingerprint = 33;

    /// <summary>SHA-512, as gpg prefers for Ed25519; any RSA key of 2048 bits or more carries it too.</summary>
    public const int HashAlgorithm = PgpAlgorithms.HashSha512;

    /// <summary>Returns the whole signature packet (header included) by <paramref name="key"/> over <paramref name="data"/>.</summary>
    public static byte[] SignBinary(PgpSecretKey key, ReadOnlySpan<byte> data, DateTimeOffset created)
    {
        var signer = key.Public;
        var algorithm = key.Rsa is not null ? PgpAlgorithms.Rsa : PgpAlgorithms.EdDsaLegacy;

        using var hashed = new MemoryStream();
        Span<byte> time = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(time, checked((uint)created.ToUnixTimeSeconds()));
        PgpPacketWriter.WriteSubpacket(hashed, SubpacketCreationTime, time);
        PgpPacketWriter.WriteSubpacket(hashed, SubpacketIssuerFingerprint, [4, .. signer.Fingerprint]);

        using var hashedPart = new MemoryStream();
        hashedPart.Write([4, PgpSignature.BinaryDocument, (byte)algorithm, HashAlgorithm, (byte)(hashed.Length >> 8), (byte)hashed.Length]);
        hashed.Position = 0;
        hashed.CopyTo(hashedPart);
        var prefix = hashedPart.ToArray();

        // RFC 4880 §5.2.4: the document, the hashed part, then 0x04 0xff and the hashed part's length.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        hash.AppendData(data);
        hash.AppendData(prefix);
        Span<byte> trailer = stackalloc byte[6];
        trailer[0] = 0x04;
        trailer[1] = 0xff;
        BinaryPrimitives.WriteUInt32BigEndian(trailer[2..], (uint)prefix.Length);
        hash.AppendData(trailer);
        var digest = hash.GetHashAndReset();

        using var unhashed = new MemoryStream();
        Span<byte> keyId = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(keyId, signer.KeyId);
        PgpPacketWriter.WriteSubpacket(unhashed, SubpacketIssuerKeyId, keyId);

        using var body = new MemoryStream();
        body.Write(prefix);
        body.Write([(byte)(unhashed.Length >> 8), (byte)unhashed.Length]);
        unhashed.Position = 0;
        unhashed.CopyTo(body);
        body.Write(digest.AsSpan(0, 2));

        if (key.Rsa is { } rsa)
        {
            // RFC 4880 §5.2.2: PKCS#1 v1.5 over the digest; the value is one MPI.
            using var engine = RSA.Create();
            engine.ImportParameters(new RSAParameters
            {
                Modulus = rsa.Modulus,
                Exponent = rsa.Exponent,
                D = rsa.D,
                P = rsa.P,
                Q = rsa.Q,
                DP = rsa.DP,
                DQ = rsa.DQ,
                InverseQ = rsa.InverseQ,
            });
            PgpPacketWriter.WriteMpi(body, engine.SignHash(digest, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1));
        }
        else
        {
            // RFC 9580 §5.2.3.3 (legacy EdDSA): pure Ed25519 over the digest, R and S as two MPIs.
            var secret = key.Ed25519Secret ?? throw new InvalidOperationException("The key holds no secret to sign with.");
            var value = new byte[Ed25519.SignatureSize];
            Ed25519.Sign(secret, 0, digest, 0, digest.Length, value, 0);
            PgpPacketWriter.WriteMpi(body, value.AsSpan(0, Ed25519.SignatureSize / 2));
            PgpPacketWriter.WriteMpi(body, value.AsSpan(Ed25519.SignatureSize / 2));
        }

        return PgpPacketWriter.Packet((int)PgpPacketTag.Signature, body.ToArray());
    }
}
