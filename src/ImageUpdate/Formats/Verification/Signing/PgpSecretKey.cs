using System.Numerics;
using ImageUpdate.Foundation.Errors;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace ImageUpdate.Formats.Verification.Signing;

/// <summary>
/// A version 4 secret key or subkey packet (RFC 4880 §5.5.3): the public key fields, then the
/// string-to-key usage byte and, when it is 0 (unprotected), the secret fields and a two-byte
/// checksum. Secret fields are kept for the algorithms that can sign here: RSA (MPIs d, p, q, u) and
/// legacy EdDSA on Ed25519 (one MPI, the 32-byte RFC 8032 secret; RFC 9580 §5.5.5.5). A protected
/// key or a gpg stub (secret part absent) parses, with <see cref="SecretMissing"/> saying why it
/// cannot sign.
/// </summary>
internal sealed class PgpSecretKey
{
    private const int Ed25519SecretLength = 32;

    // RFC 4880 §3.7.2.1: 254 and 255 mean an S2K specifier follows; RFC 4880 §3.7.1 / gpg's
    // DETAILS: S2K type 101 is GNU's extension, whose mode 1 is "no secret part" and 2 "on a card".
    private const byte S2kUsageSha1Checked = 254;
    private const byte S2kUsageChecksummed = 255;
    private const byte S2kGnuExtension = 101;

    private PgpSecretKey(PgpPublicKey publicKey)
    {
        Public = publicKey;
    }

    public PgpPublicKey Public { get; }

    /// <summary>Why this packet carries no usable secret, or null when it does.</summary>
    public string? SecretMissing { get; private init; }

    /// <summary>True when the secret is there but encrypted with a passphrase.</summary>
    public bool Protected { get; private init; }

    public RsaPrivateParameters? Rsa { get; private init; }

    public byte[]? Ed25519Secret { get; private init; }

    /// <summary>Parses a secret key packet body; <paramref name="what"/> names it in messages.</summary>
    /// <exception cref="VerificationException">The packet is malformed or its checksum fails.</exception>
    public static PgpSecretKey Parse(ReadOnlySpan<byte> body, string what)
    {
        var publicLength = PublicPartLength(body, what);
        var publicKey = PgpPublicKey.Parse(body[..publicLength], what);
        var cursor = new PgpCursor(body[publicLength..], what + " secret part");
        var usage = cursor.ReadByte();
        if (usage is S2kUsageSha1Checked or S2kUsageChecksummed)
        {
            cursor.ReadByte(); // the symmetric algorithm
            if (cursor.ReadByte() == S2kGnuExtension)
            {
                return new PgpSecretKey(publicKey) { SecretMissing = "its secret part is not in the file (a gpg stub: exported with --export-secret-subkeys, or kept on a smartcard)" };
            }
        }

        if (usage != 0)
        {
            return new PgpSecretKey(publicKey) { SecretMissing = "it is protected by a passphrase", Protected = true };
        }

        // RFC 4880 §5.5.3: with usage 0, a two-octet sum of the secret field octets follows them.
        var material = cursor.Rest;
        if (material.Length < 2)
        {
            throw new VerificationException($"The {what} is truncated: its secret part lacks the checksum.");
        }

        var fields = material[..^2];
        var sum = 0;
        foreach (var b in fields)
        {
            sum = (sum + b) & 0xffff;
        }

        if (sum != ((material[^2] << 8) | material[^1]))
        {
            throw new VerificationException($"The {what} fails its secret checksum (damaged?).");
        }

        var secret = new PgpCursor(fields, what + " secret part");
        switch (publicKey.Algorithm)
        {
            case PgpAlgorithms.Rsa or PgpAlgorithms.RsaSignOnly when publicKey.RsaModulus is { } modulus && publicKey.RsaExponent is { } exponent:
                var d = secret.ReadMpi().ToArray();
                var p = secret.ReadMpi().ToArray();
                var q = secret.ReadMpi().ToArray();
                secret.ReadMpi(); // u = p^-1 mod q, recomputed below in the form .NET wants
                secret.ExpectEnd();
                return new PgpSecretKey(publicKey) { Rsa = RsaParameters(modulus, exponent, d, p, q, what) };

            case PgpAlgorithms.EdDsaLegacy when publicKey.Ed25519Point is { } point:
                var scalar = secret.ReadMpi();
                secret.ExpectEnd();
                if (scalar.Length > Ed25519SecretLength)
                {
                    throw new VerificationException($"The {what} holds an Ed25519 secret longer than {Ed25519SecretLength} bytes.");
                }

                // The MPI dropped leading zero bytes: put the 32-byte secret back together.
                var seed = new byte[Ed25519SecretLength];
                scalar.CopyTo(seed.AsSpan(Ed25519SecretLength - scalar.Length));
                var derived = new byte[Ed25519.PublicKeySize];
                Ed25519.GeneratePublicKey(seed, 0, derived, 0);
                if (!derived.AsSpan().SequenceEqual(point))
                {
                    throw new VerificationException($"The {what} holds an Ed25519 secret that does not belong to its public key.");
                }

                return new PgpSecretKey(publicKey) { Ed25519Secret = seed };

            case PgpAlgorithms.Ed25519:
                // RFC 9580's native Ed25519 (algorithm 27), which gpg 2.2 and 2.4 do not make: untested, so refused.
                return new PgpSecretKey(publicKey) { SecretMissing = "it is an RFC 9580 Ed25519 key (algorithm 27), which cannot sign here yet; gpg's EdDSA keys (algorithm 22) can" };

            default:
                return new PgpSecretKey(publicKey) { SecretMissing = $"{PgpAlgorithms.PublicKeyName(publicKey.Algorithm)} ({publicKey.Description}) keys cannot sign here (only RSA and Ed25519 can)" };
        }
    }

    // Where the public key fields end: RFC 4880 §5.5.2 and RFC 9580 §5.5.5 give each algorithm's fields.
    private static int PublicPartLength(ReadOnlySpan<byte> body, string what)
    {
        var cursor = new PgpCursor(body, what);
        var version = cursor.ReadByte();
        if (version != 4)
        {
            throw new VerificationException($"The {what} is a version {version} key; only version 4 keys are supported.");
        }

        cursor.ReadUInt32();
        var algorithm = cursor.ReadByte();
        switch (algorithm)
        {
            case PgpAlgorithms.Rsa or PgpAlgorithms.RsaEncryptOnly or PgpAlgorithms.RsaSignOnly:
                SkipMpis(ref cursor, 2);
                break;
            case 16: // Elgamal: p, g, y
                SkipMpis(ref cursor, 3);
                break;
            case 17: // DSA: p, q, g, y
                SkipMpis(ref cursor, 4);
                break;
            case 19 or PgpAlgorithms.EdDsaLegacy: // ECDSA, EdDSA: curve OID, point
                cursor.Take(cursor.ReadByte());
                SkipMpis(ref cursor, 1);
                break;
            case 18: // ECDH: curve OID, point, KDF parameters
                cursor.Take(cursor.ReadByte());
                SkipMpis(ref cursor, 1);
                cursor.Take(cursor.ReadByte());
                break;
            case 25 or PgpAlgorithms.Ed25519: // X25519, Ed25519: 32 native bytes
                cursor.Take(32);
                break;
            default:
                throw new VerificationException($"The {what} uses {PgpAlgorithms.PublicKeyName(algorithm)}, whose key fields this reader does not know.");
        }

        return cursor.Position;
    }

    private static void SkipMpis(ref PgpCursor cursor, int count)
    {
        for (var i = 0; i < count; i++)
        {
            cursor.ReadMpi();
        }
    }

    /// <summary>
    /// .NET's RSA wants the CRT form with every field at its exact length. OpenPGP's u is p^-1 mod q,
    /// while .NET's InverseQ is Q^-1 mod P, so the primes are handed over swapped; the CRT values are
    /// computed from d and the primes (checked against n) rather than taken from the file.
    /// </summary>
    private static RsaPrivateParameters RsaParameters(byte[] modulus, byte[] exponent, byte[] d, byte[] p, byte[] q, string what)
    {
        var n = Unsigned(modulus);
        var bp = Unsigned(p);
        var bq = Unsigned(q);
        var bd = Unsigned(d);
        if (bp <= BigInteger.One || bq <= BigInteger.One || bp * bq != n)
        {
            throw new VerificationException($"The {what} holds RSA primes whose product is not its modulus.");
        }

        // .NET P = OpenPGP q, .NET Q = OpenPGP p; InverseQ = p^-1 mod q by Fermat (q is prime).
        var half = (modulus.Length + 1) / 2;
        var inverse = BigInteger.ModPow(bp, bq - 2, bq);
        return new RsaPrivateParameters(
            modulus,
            exponent,
            Fixed(bd, modulus.Length, what),
            Fixed(bq, half, what),
            Fixed(bp, half, what),
            Fixed(bd % (bq - 1), half, what),
            Fixed(bd % (bp - 1), half, what),
            Fixed(inverse, half, what));
    }

    private static BigInteger Unsigned(byte[] bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);

    private static byte[] Fixed(BigInteger value, int length, string what)
    {
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        if (bytes.Length > length)
        {
            throw new VerificationException($"The {what} holds RSA parameters of unbalanced sizes.");
        }

        var result = new byte[length];
        bytes.CopyTo(result.AsSpan(length - bytes.Length));
        return result;
    }
}
