using System.Text;
using ImageUpdate.Foundation.Errors;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// A transferable public key (RFC 4880 §11.1): a primary key, its user IDs and subkeys, and what its
/// self-signatures establish. Every self-signature, binding, back-signature and revocation is checked
/// cryptographically; one that does not verify, or uses a hash the policy refuses, is ignored (and
/// reported) as if absent, as gpg does.
/// </summary>
/// <remarks>
/// Each packet is read and each signature checked by BouncyCastle; the walk over the packets and the
/// policy are ours, because BouncyCastle lacks both: its <c>PgpPublicKeyRing</c> throws on the first
/// packet it cannot read (so one odd third-party certification or subkey would cost the whole key),
/// and its <c>HasRevocation</c> and <c>GetValidSeconds</c> look at revocations and bindings without
/// the hash policy (and, for revocations, without verifying them at all).
/// </remarks>
internal sealed class KeyringKey
{
    // State while reading: the component the next signatures belong to.
    private byte[]? _userId;
    private KeyringSubkey? _subkey;
    private bool _inUserAttribute;
    private bool _inBrokenSubkey;
    private PgpSignatureFacts? _newestSelfSignature;
    private uint _primaryUserIdCreated;
    private bool _userIdIsPrimary;

    private KeyringKey(PgpPublicKey primary)
    {
        Primary = primary;
    }

    public PgpPublicKey Primary { get; }

    public string FingerprintHex => PgpAlgorithms.FingerprintHex(Primary);

    public DateTimeOffset Created => PgpAlgorithms.Created(Primary);

    public string? UserId { get; private set; }

    public byte? KeyFlags { get; private set; }

    public uint ExpirationSeconds { get; private set; }

    public bool Revoked { get; private set; }

    public List<KeyringSubkey> Subkeys { get; } = [];

    public DateTimeOffset? Expires => ExpirationSeconds == 0 ? null : Created.AddSeconds(ExpirationSeconds);

    public bool MaySign => KeyFlags is null || (KeyFlags & PgpSignatureFacts.KeyFlagSign) != 0;

    /// <summary>
    /// Builds a key from its packets (the first is the primary key packet). Problems with single
    /// signatures or subkeys become <paramref name="warnings"/>.
    /// </summary>
    /// <exception cref="VerificationException">The primary key cannot be used at all.</exception>
    public static KeyringKey Build(IReadOnlyList<PgpPacket> packets, string origin, List<string> warnings)
    {
        // BouncyCastle throws on an algorithm number it does not know, before a fingerprint can be
        // named; refuse it as unsupported (as for any other algorithm we cannot use) with the
        // fingerprint computed from the packet's bytes.
        if (!PgpAlgorithms.IsReadByBouncyCastle(PgpPacketReader.KeyAlgorithm(packets[0]))
            && PgpPacketReader.Version4Fingerprint(packets[0]) is { } fingerprint)
        {
            throw new VerificationException($"Key {Convert.ToHexString(fingerprint)} in {origin} cannot be used: {PgpAlgorithms.PublicKeyName(PgpPacketReader.KeyAlgorithm(packets[0]))} keys are not supported.");
        }

        var primary = PgpPacketReader.ReadPublicKey(packets[0], $"key packet in {origin}");
        if (PgpAlgorithms.UnsupportedReason(primary) is { } reason)
        {
            throw new VerificationException($"Key {PgpAlgorithms.FingerprintHex(primary)} in {origin} cannot be used: {reason}.");
        }

        CheckKeyMaterial(primary, $"Key {PgpAlgorithms.FingerprintHex(primary)} in {origin}");

        var key = new KeyringKey(primary);
        key.ReadComponents(packets, origin, warnings);
        if (key._newestSelfSignature is null)
        {
            throw new VerificationException($"Key {key.FingerprintHex} in {origin} has no valid self-signature.");
        }

        return key;
    }

    private void ReadComponents(IReadOnlyList<PgpPacket> packets, string origin, List<string> warnings)
    {
        var revokedUserIds = new HashSet<string>(StringComparer.Ordinal);
        var certifications = new List<(byte[] UserId, PgpSignatureFacts Signature)>();

        for (var i = 1; i < packets.Count; i++)
        {
            var packet = packets[i];
            switch (packet.Tag)
            {
                case PacketTag.UserId:
                    _userId = packet.Body.ToArray();
                    _subkey = null;
                    _inUserAttribute = _inBrokenSubkey = false;
                    break;

                case PacketTag.UserAttribute:
                    _userId = null;
                    _subkey = null;
                    _inUserAttribute = true;
                    _inBrokenSubkey = false;
                    break;

                case PacketTag.PublicSubkey:
                    _userId = null;
                    _inUserAttribute = false;
                    try
                    {
                        var subkey = PgpPacketReader.ReadPublicKey(packet, $"subkey packet of {FingerprintHex} in {origin}");
                        if (PgpAlgorithms.UnsupportedReason(subkey) is null)
                        {
                            CheckKeyMaterial(subkey, $"Subkey {PgpAlgorithms.FingerprintHex(subkey)} of {FingerprintHex} in {origin}");
                        }

                        _subkey = new KeyringSubkey(subkey);
                        Subkeys.Add(_subkey);
                        _inBrokenSubkey = false;
                    }
                    catch (VerificationException e)
                    {
                        warnings.Add($"Ignoring a subkey of {FingerprintHex}: {e.Message}");
                        _subkey = null;
                        _inBrokenSubkey = true;
                    }

                    break;

                case PacketTag.Signature when !_inUserAttribute && !_inBrokenSubkey:
                    PgpSignatureFacts signature;
                    try
                    {
                        signature = new PgpSignatureFacts(PgpPacketReader.ReadSignature(packet, $"signature packet of {FingerprintHex} in {origin}"));
                    }
                    catch (VerificationException e)
                    {
                        warnings.Add($"Ignoring a signature on {FingerprintHex}: {e.Message}");
                        break;
                    }

                    if (signature.Type == PgpSignature.CertificationRevocation && _userId is not null && IsValidSelfSignature(signature, _userId, null, warnings))
                    {
                        revokedUserIds.Add(Encoding.UTF8.GetString(_userId));
                    }
                    else if (PgpSignature.IsCertification(signature.Type) && _userId is not null)
                    {
                        certifications.Add((_userId, signature));
                    }
                    else
                    {
                        ReadKeySignature(signature, warnings);
                    }

                    break;
            }
        }

        // User ID certifications last, so that a revocation later in the stream is already known.
        foreach (var (userId, signature) in certifications)
        {
            var text = Encoding.UTF8.GetString(userId);
            if (revokedUserIds.Contains(text) || !IsValidSelfSignature(signature, userId, null, warnings))
            {
                continue;
            }

            AdoptSelfSignature(signature);
            // The primary user ID: the newest self-signature flagged primary, else the first user ID.
            if (UserId is null || (signature.IsPrimaryUserId && (!_userIdIsPrimary || signature.CreatedSeconds >= _primaryUserIdCreated)))
            {
                UserId = text;
                _userIdIsPrimary = signature.IsPrimaryUserId;
                _primaryUserIdCreated = signature.CreatedSeconds ?? 0;
            }
        }
    }

    private void ReadKeySignature(PgpSignatureFacts signature, List<string> warnings)
    {
        switch (signature.Type)
        {
            case PgpSignature.DirectKey when _userId is null && _subkey is null:
                if (IsValidSelfSignature(signature, null, null, warnings))
                {
                    AdoptSelfSignature(signature);
                }

                break;

            case PgpSignature.KeyRevocation:
                // Only a revocation by the key itself counts: designated revokers (RFC 4880
                // §5.2.3.15) would need their key, which a keyring of trusted keys need not hold.
                if (IsValidSelfSignature(signature, null, null, warnings))
                {
                    Revoked = true;
                }

                break;

            case PgpSignature.SubkeyBinding when _subkey is not null:
                if (IsValidSelfSignature(signature, null, _subkey.Key, warnings) && signature.CreatedSeconds >= _subkey.BindingCreated)
                {
                    _subkey.Bound = true;
                    _subkey.BindingCreated = signature.CreatedSeconds ?? 0;
                    _subkey.KeyFlags = signature.KeyFlags;
                    _subkey.ExpirationSeconds = signature.KeyExpirationSeconds ?? 0;
                    _subkey.HasBackSignature = HasValidBackSignature(signature, _subkey.Key, warnings);
                }

                break;

            case PgpSignature.SubkeyRevocation when _subkey is not null:
                if (IsValidSelfSignature(signature, null, _subkey.Key, warnings))
                {
                    _subkey.Revoked = true;
                }

                break;
        }
    }

    private void AdoptSelfSignature(PgpSignatureFacts signature)
    {
        // The newest self-signature speaks for the key's flags and expiration (RFC 4880 §5.2.3.3).
        if (_newestSelfSignature is null || signature.CreatedSeconds >= _newestSelfSignature.CreatedSeconds)
        {
            _newestSelfSignature = signature;
            KeyFlags = signature.KeyFlags;
            ExpirationSeconds = signature.KeyExpirationSeconds ?? 0;
        }
    }

    /// <summary>
    /// RFC 9580 §5.2.1: a signing subkey must cross-certify its primary with an embedded 0x19
    /// signature, or anyone could bind someone else's signing key as their own subkey.
    /// </summary>
    private bool HasValidBackSignature(PgpSignatureFacts binding, PgpPublicKey subkey, List<string> warnings)
    {
        if (binding.EmbeddedSignature is not { } embedded)
        {
            return false;
        }

        try
        {
            var back = new PgpSignatureFacts(PgpPacketReader.ReadEmbeddedSignature(embedded, $"back-signature of subkey {PgpAlgorithms.FingerprintHex(subkey)}"));
            return back.Type == PgpSignature.PrimaryKeyBinding && IsValid(back, subkey, null, subkey, warnings);
        }
        catch (VerificationException e)
        {
            warnings.Add(e.Message);
            return false;
        }
    }

    private bool IsValidSelfSignature(PgpSignatureFacts signature, byte[]? userId, PgpPublicKey? subkey, List<string> warnings)
    {
        // Third-party certifications are not self-signatures; they need not be checked at all.
        if (!signature.NamesIssuer(Primary))
        {
            return false;
        }

        return IsValid(signature, Primary, userId, subkey, warnings);
    }

    private bool IsValid(PgpSignatureFacts signature, PgpPublicKey signer, byte[]? userId, PgpPublicKey? subkey, List<string> warnings)
    {
        var what = $"signature of type 0x{signature.Type:x2} on key {FingerprintHex}";
        if (!PgpAlgorithms.IsAcceptedHash(signature.Signature.HashAlgorithm))
        {
            warnings.Add($"Ignoring the {what}: it uses {PgpAlgorithms.HashName(signature.Signature.HashAlgorithm)}, which is not accepted.");
            return false;
        }

        if (signature.UnknownCriticalSubpacket is { } critical)
        {
            warnings.Add($"Ignoring the {what}: it has an unknown critical subpacket {critical}.");
            return false;
        }

        if (signature.Created is not { } created || created < Created)
        {
            warnings.Add($"Ignoring the {what}: it has no creation time or predates the key.");
            return false;
        }

        if (!PgpSignatureCheck.VerifyKeySignature(signature.Signature, signer, Primary, userId, subkey))
        {
            warnings.Add($"Ignoring the {what}: it does not verify.");
            return false;
        }

        return true;
    }

    // BouncyCastle decodes key material only when a signature is checked; decoding it once here makes
    // a key with an impossible point or modulus unusable with a warning rather than silently useless.
    private static void CheckKeyMaterial(PgpPublicKey key, string what)
    {
        try
        {
            PgpSignatureCheck.WithoutModulusPrimalityTest(key.GetKey);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new VerificationException($"{what} cannot be used: its key material is invalid ({PgpPacketReader.Describe(e).TrimEnd('.')}).", e);
        }
    }
}
