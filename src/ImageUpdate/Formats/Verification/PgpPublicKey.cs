using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// A version 4 public key or subkey packet (RFC 4880 §5.5.2) with its v4 fingerprint (§12.2). Key
/// material is decoded for the algorithms that can verify signatures here: RSA (§5.5.2: MPIs n and e),
/// legacy EdDSA on Ed25519 (RFC 9580 §5.5.5.5, draft-ietf-openpgp-rfc4880bis-10 §5.6.5: curve OID,
/// then an MPI holding 0x40 and the 32-byte point) and Ed25519 (RFC 9580 §5.5.5.6: 32 raw bytes).
/// Other algorithms parse (so the fingerprint and the other keys around them stay usable) but carry
/// an <see cref="UnsupportedReason"/>.
/// </summary>
internal sealed class PgpPublicKey
{
    private const int FingerprintLength = 20;
    private const byte Ed25519PointPrefix = 0x40;
    private const int Ed25519KeyLength = 32;

    // DER bodies of the curve OIDs gpg uses (RFC 9580 §9.2).
    private static readonly (byte[] Oid, string Name)[] Curves =
    [
        ([0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01], "ed25519"),
        ([0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01], "cv25519"),
        ([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], "nistp256"),
        ([0x2b, 0x81, 0x04, 0x00, 0x22], "nistp384"),
        ([0x2b, 0x81, 0x04, 0x00, 0x23], "nistp521"),
        ([0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07], "brainpoolP256r1"),
        ([0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b], "brainpoolP384r1"),
        ([0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d], "brainpoolP512r1"),
    ];

    private PgpPublicKey(byte[] body, uint created, int algorithm)
    {
        Body = body;
        CreatedSeconds = created;
        Algorithm = algorithm;
        // RFC 4880 §12.2: SHA-1 over 0x99, the two-byte body length and the body; the key ID is its low 64 bits.
        Span<byte> prefix = [0x99, (byte)(body.Length >> 8), (byte)body.Length];
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(prefix);
        sha1.AppendData(body);
        Fingerprint = sha1.GetHashAndReset();
        KeyId = BinaryPrimitives.ReadUInt64BigEndian(Fingerprint.AsSpan(FingerprintLength - sizeof(ulong)));
    }

    /// <summary>The packet body, as it is hashed into self-signatures and the fingerprint.</summary>
    public byte[] Body { get; }

    public uint CreatedSeconds { get; }

    public DateTimeOffset Created => DateTimeOffset.FromUnixTimeSeconds(CreatedSeconds);

    public int Algorithm { get; }

    public byte[] Fingerprint { get; }

    public ulong KeyId { get; }

    public string FingerprintHex => Convert.ToHexString(Fingerprint);

    public string KeyIdHex => KeyId.ToString("X16", CultureInfo.InvariantCulture);

    public byte[]? RsaModulus { get; private set; }

    public byte[]? RsaExponent { get; private set; }

    public int RsaBits { get; private set; }

    public byte[]? Ed25519Point { get; private set; }

    /// <summary>The curve name for ECC keys (gpg's names), null for RSA and others.</summary>
    public string? Curve { get; private set; }

    /// <summary>Why signatures by this key cannot be verified here, or null when they can.</summary>
    public string? UnsupportedReason { get; private set; }

    /// <summary>gpg-like short description: rsa3072, ed25519, cv25519, dsa, ...</summary>
    public string Description => RsaModulus is not null
        ? "rsa" + RsaBits.ToString(CultureInfo.InvariantCulture)
        : Curve ?? PgpAlgorithms.PublicKeyName(Algorithm).ToLowerInvariant();

    public bool Matches(ulong? keyId, byte[]? fingerprint) =>
        fingerprint is not null ? fingerprint.AsSpan().SequenceEqual(Fingerprint) : keyId is null || keyId == KeyId;

    /// <exception cref="VerificationException">The packet is not a well-formed version 4 key.</exception>
    public static PgpPublicKey Parse(ReadOnlySpan<byte> body, string what)
    {
        var cursor = new PgpCursor(body, what);
        var version = cursor.ReadByte();
        if (version != 4)
        {
            throw new VerificationException($"The {what} is a version {version} key; only version 4 keys are supported.");
        }

        var created = cursor.ReadUInt32();
        var algorithm = cursor.ReadByte();
        var key = new PgpPublicKey(body.ToArray(), created, algorithm);

        switch (algorithm)
        {
            case PgpAlgorithms.Rsa or PgpAlgorithms.RsaEncryptOnly or PgpAlgorithms.RsaSignOnly:
                var modulus = cursor.ReadMpi();
                var exponent = cursor.ReadMpi();
                cursor.ExpectEnd();
                if (modulus.IsEmpty || exponent.IsEmpty)
                {
                    throw new VerificationException($"The {what} holds an RSA key with an empty modulus or exponent.");
                }

                key.RsaModulus = modulus.ToArray();
                key.RsaExponent = exponent.ToArray();
                key.RsaBits = (modulus.Length * 8) - byte.LeadingZeroCount(modulus[0]);
                if (algorithm == PgpAlgorithms.RsaEncryptOnly)
                {
                    key.UnsupportedReason = "it is an encrypt-only RSA key";
                }

                break;

            case PgpAlgorithms.EdDsaLegacy:
                var oid = ReadCurveOid(ref cursor, what);
                key.Curve = CurveName(oid);
                var point = cursor.ReadMpi();
                cursor.ExpectEnd();
                if (key.Curve != "ed25519")
                {
                    key.UnsupportedReason = $"EdDSA on curve {key.Curve} is not supported";
                }
                else if (point.Length != 1 + Ed25519KeyLength || point[0] != Ed25519PointPrefix)
                {
                    throw new VerificationException($"The {what} holds an Ed25519 point that is not 0x40 followed by 32 bytes.");
                }
                else
                {
                    key.Ed25519Point = point[1..].ToArray();
                }

                break;

            case PgpAlgorithms.Ed25519:
                key.Curve = "ed25519";
                key.Ed25519Point = cursor.Take(Ed25519KeyLength).ToArray();
                cursor.ExpectEnd();
                break;

            case 18 or 19:
                // ECDH and ECDSA start with the curve OID too: read it for the name, never the rest.
                key.Curve = CurveName(ReadCurveOid(ref cursor, what));
                key.UnsupportedReason = $"{PgpAlgorithms.PublicKeyName(algorithm)} keys are not supported";
                break;

            default:
                key.UnsupportedReason = $"{PgpAlgorithms.PublicKeyName(algorithm)} keys are not supported";
                break;
        }

        return key;
    }

    private static ReadOnlySpan<byte> ReadCurveOid(ref PgpCursor cursor, string what)
    {
        // RFC 9580 §9.2: a length byte, 0 and 0xff reserved, then the OID without DER tag and length.
        var length = cursor.ReadByte();
        if (length is 0 or 0xff)
        {
            throw new VerificationException($"The {what} has a curve OID of reserved length {length}.");
        }

        return cursor.Take(length);
    }

    private static string CurveName(ReadOnlySpan<byte> oid)
    {
        foreach (var (known, name) in Curves)
        {
            if (oid.SequenceEqual(known))
            {
                return name;
            }
        }

        return "OID " + DottedOid(oid);
    }

    // Only for messages: the dotted form of an OID body (X.690 §8.19), best effort on bad input.
    private static string DottedOid(ReadOnlySpan<byte> oid)
    {
        var text = new StringBuilder();
        text.Append(oid[0] / 40).Append('.').Append(oid[0] % 40);
        ulong arc = 0;
        foreach (var b in oid[1..])
        {
            arc = (arc << 7) | (uint)(b & 0x7f);
            if ((b & 0x80) == 0)
            {
                text.Append('.').Append(arc);
                arc = 0;
            }
        }

        return text.ToString();
    }
}
