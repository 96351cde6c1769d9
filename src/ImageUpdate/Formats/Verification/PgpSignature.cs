using System.Buffers.Binary;
using System.Globalization;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// A version 4 signature packet (RFC 4880 §5.2.3) with the subpackets this code acts on. Everything
/// that affects validity (times, key flags, expirations) is read from the hashed area only; the
/// issuer and the embedded back-signature may also come from the unhashed area, because they only
/// select a key or carry their own signature.
/// </summary>
internal sealed class PgpSignature
{
    public const int BinaryDocument = 0x00;
    public const int TextDocument = 0x01;
    public const int FirstCertification = 0x10;
    public const int LastCertification = 0x13;
    public const int SubkeyBinding = 0x18;
    public const int PrimaryKeyBinding = 0x19;
    public const int DirectKey = 0x1f;
    public const int KeyRevocation = 0x20;
    public const int SubkeyRevocation = 0x28;
    public const int CertificationRevocation = 0x30;

    public const byte KeyFlagCertify = 0x01;
    public const byte KeyFlagSign = 0x02;

    private const int Ed25519HalfLength = 32;

    // RFC 4880 §5.2.3.1 / RFC 9580 §5.2.3.7: subpacket types understood well enough that a critical
    // one does not invalidate the signature. An unknown critical subpacket does (RFC 4880 §5.2.3.1).
    private static readonly HashSet<int> KnownSubpackets = [2, 3, 4, 5, 7, 9, 11, 12, 16, 21, 22, 23, 25, 27, 28, 29, 30, 32, 33, 34, 39];

    private PgpSignature()
    {
    }

    public int Type { get; private init; }

    public int PublicKeyAlgorithm { get; private init; }

    public int HashAlgorithm { get; private init; }

    /// <summary>Version through the end of the hashed subpackets: what is hashed before the trailer.</summary>
    public byte[] HashedPart { get; private init; } = [];

    public ushort HashPrefix { get; private init; }

    /// <summary>RSA: m^d mod n as big-endian bytes; Ed25519: r || s, 64 bytes.</summary>
    public byte[] Value { get; private set; } = [];

    public string? UnsupportedReason { get; private set; }

    public uint? CreatedSeconds { get; private set; }

    public DateTimeOffset? Created => CreatedSeconds is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

    /// <summary>Signature expiration time (subpacket 3): seconds after creation, 0 meaning never.</summary>
    public uint? ExpirationSeconds { get; private set; }

    /// <summary>Key expiration time (subpacket 9): seconds after the key's creation, 0 meaning never.</summary>
    public uint? KeyExpirationSeconds { get; private set; }

    public byte? KeyFlags { get; private set; }

    public bool IsPrimaryUserId { get; private set; }

    public ulong? IssuerKeyId { get; private set; }

    /// <summary>A v4 issuer fingerprint (subpacket 33), 20 bytes.</summary>
    public byte[]? IssuerFingerprint { get; private set; }

    /// <summary>The body of an embedded signature packet (subpacket 32), e.g. a primary key binding.</summary>
    public byte[]? EmbeddedSignature { get; private set; }

    public int? UnknownCriticalSubpacket { get; private set; }

    public string IssuerText => IssuerFingerprint is not null
        ? Convert.ToHexString(IssuerFingerprint)
        : IssuerKeyId?.ToString("X16", CultureInfo.InvariantCulture) ?? "(none)";

    /// <exception cref="VerificationException">The packet is not a well-formed version 4 signature.</exception>
    public static PgpSignature Parse(ReadOnlySpan<byte> body, string what)
    {
        var cursor = new PgpCursor(body, what);
        var version = cursor.ReadByte();
        if (version != 4)
        {
            throw new VerificationException($"The {what} is a version {version} signature; only version 4 signatures are supported.");
        }

        var type = cursor.ReadByte();
        var publicKeyAlgorithm = cursor.ReadByte();
        var hashAlgorithm = cursor.ReadByte();
        var hashed = cursor.Take(cursor.ReadUInt16());
        var hashedPart = body[..cursor.Position].ToArray();
        var unhashed = cursor.Take(cursor.ReadUInt16());
        var signature = new PgpSignature
        {
            Type = type,
            PublicKeyAlgorithm = publicKeyAlgorithm,
            HashAlgorithm = hashAlgorithm,
            HashedPart = hashedPart,
            HashPrefix = cursor.ReadUInt16(),
        };

        signature.ReadSubpackets(hashed, isHashed: true, what);
        signature.ReadSubpackets(unhashed, isHashed: false, what);
        signature.ReadValue(ref cursor, what);
        return signature;
    }

    private void ReadValue(ref PgpCursor cursor, string what)
    {
        switch (PublicKeyAlgorithm)
        {
            case PgpAlgorithms.Rsa or PgpAlgorithms.RsaSignOnly:
                Value = cursor.ReadMpi().ToArray();
                cursor.ExpectEnd();
                break;

            case PgpAlgorithms.EdDsaLegacy:
                // Two MPIs holding the native R and S of the Ed25519 signature. MPIs drop leading zero
                // bytes, so each is put back to its 32 bytes (RFC 9580 §5.2.3.3).
                var r = cursor.ReadMpi();
                var s = cursor.ReadMpi();
                cursor.ExpectEnd();
                if (r.Length > Ed25519HalfLength || s.Length > Ed25519HalfLength)
                {
                    throw new VerificationException($"The {what} holds an EdDSA value longer than 32 bytes.");
                }

                var value = new byte[2 * Ed25519HalfLength];
                r.CopyTo(value.AsSpan(Ed25519HalfLength - r.Length));
                s.CopyTo(value.AsSpan((2 * Ed25519HalfLength) - s.Length));
                Value = value;
                break;

            case PgpAlgorithms.Ed25519:
                Value = cursor.Take(2 * Ed25519HalfLength).ToArray();
                cursor.ExpectEnd();
                break;

            default:
                UnsupportedReason = $"{PgpAlgorithms.PublicKeyName(PublicKeyAlgorithm)} signatures are not supported";
                break;
        }
    }

    private void ReadSubpackets(ReadOnlySpan<byte> area, bool isHashed, string what)
    {
        var cursor = new PgpCursor(area, what + " subpacket area");
        while (cursor.Remaining > 0)
        {
            // RFC 4880 §5.2.3.1: one-, two- or five-byte length covering the type byte and the data.
            var first = cursor.ReadByte();
            long length = first switch
            {
                < 192 => (long)first,
                < 255 => ((first - 192) << 8) + cursor.ReadByte() + 192,
                _ => (long)cursor.ReadUInt32(),
            };
            if (length == 0 || length > cursor.Remaining)
            {
                throw new VerificationException($"The {what} has a subpacket of impossible length {length}.");
            }

            var typeByte = cursor.ReadByte();
            var data = cursor.Take((int)length - 1);
            var type = typeByte & 0x7f;
            var critical = (typeByte & 0x80) != 0;

            if (isHashed && critical && !KnownSubpackets.Contains(type))
            {
                UnknownCriticalSubpacket ??= type;
            }

            switch (type)
            {
                case 16 when data.Length == 8:
                    IssuerKeyId ??= BinaryPrimitives.ReadUInt64BigEndian(data);
                    break;
                case 33 when data.Length == 21 && data[0] == 4:
                    IssuerFingerprint ??= data[1..].ToArray();
                    break;
                case 32:
                    EmbeddedSignature ??= data.ToArray();
                    break;
                case 2 when isHashed && data.Length == 4:
                    CreatedSeconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                    break;
                case 3 when isHashed && data.Length == 4:
                    ExpirationSeconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                    break;
                case 9 when isHashed && data.Length == 4:
                    KeyExpirationSeconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                    break;
                case 25 when isHashed && data.Length == 1:
                    IsPrimaryUserId = data[0] != 0;
                    break;
                case 27 when isHashed && data.Length >= 1:
                    KeyFlags = data[0];
                    break;
            }
        }
    }
}
