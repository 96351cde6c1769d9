using System.Buffers.Binary;
using System.Globalization;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// What the policy reads from a version 4 signature that BouncyCastle parsed (RFC 4880 §5.2.3).
/// Everything that affects validity (times, key flags, expirations) comes from the hashed area only;
/// the issuer and the embedded back-signature may also come from the unhashed area, because they only
/// select a key or carry their own signature. BouncyCastle's own accessors mix the two areas or throw
/// on an absent subpacket, hence this reading.
/// </summary>
internal sealed class PgpSignatureFacts
{
    public const int KeyFlagSign = 0x02;

    // RFC 4880 §5.2.3.1 / RFC 9580 §5.2.3.7: subpacket types understood well enough that a critical
    // one does not invalidate the signature. An unknown critical subpacket does (RFC 4880 §5.2.3.1).
    private static readonly HashSet<int> KnownSubpackets = [2, 3, 4, 5, 7, 9, 11, 12, 16, 21, 22, 23, 25, 27, 28, 29, 30, 32, 33, 34, 38, 39];

    public PgpSignatureFacts(PgpSignature signature)
    {
        Signature = signature;
        foreach (var subpacket in signature.GetHashedSubPackets()?.ToArray() ?? [])
        {
            Read(subpacket, isHashed: true);
        }

        foreach (var subpacket in signature.GetUnhashedSubPackets()?.ToArray() ?? [])
        {
            Read(subpacket, isHashed: false);
        }
    }

    public PgpSignature Signature { get; }

    public int Type => Signature.SignatureType;

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

    /// <summary>
    /// The signer's transferable public key from a Key Block subpacket (38, RFC 9580 §5.2.3.33, what
    /// `gpg --include-key-block` writes), without its leading reserved zero octet; null when absent.
    /// Untrusted: it only ever adds subkeys to a primary key the keyring already trusts.
    /// </summary>
    public byte[]? KeyBlock { get; private set; }

    /// <summary>The embedded signature subpacket (32), e.g. a primary key binding.</summary>
    public SignatureSubpacket? EmbeddedSignature { get; private set; }

    public int? UnknownCriticalSubpacket { get; private set; }

    public string IssuerText => IssuerFingerprint is not null
        ? Convert.ToHexString(IssuerFingerprint)
        : IssuerKeyId?.ToString("X16", CultureInfo.InvariantCulture) ?? "(none)";

    /// <summary>A v4 key ID is the low 64 bits of the fingerprint (RFC 4880 §12.2).</summary>
    public ulong? IssuerKeyIdOrFingerprintTail => IssuerFingerprint is { } fingerprint
        ? BinaryPrimitives.ReadUInt64BigEndian(fingerprint.AsSpan(fingerprint.Length - sizeof(ulong)))
        : IssuerKeyId;

    /// <summary>True when the issuer named here is <paramref name="key"/>, or no issuer is named.</summary>
    public bool NamesIssuer(PgpPublicKey key) => IssuerFingerprint is not null
        ? IssuerFingerprint.AsSpan().SequenceEqual(key.GetFingerprint())
        : IssuerKeyId is null || IssuerKeyId == (ulong)key.KeyId;

    private void Read(SignatureSubpacket subpacket, bool isHashed)
    {
        var type = (int)subpacket.SubpacketType;
        var data = subpacket.GetData();
        if (isHashed && subpacket.IsCritical() && !KnownSubpackets.Contains(type))
        {
            UnknownCriticalSubpacket ??= type;
        }

        switch (type)
        {
            case 16 when data.Length == 8:
                IssuerKeyId ??= BinaryPrimitives.ReadUInt64BigEndian(data);
                break;
            case 33 when data.Length == 21 && data[0] == 4:
                IssuerFingerprint ??= data[1..];
                break;
            case 32:
                EmbeddedSignature ??= subpacket;
                break;
            case 38 when data.Length > 1 && data[0] == 0:
                KeyBlock ??= data[1..];
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
