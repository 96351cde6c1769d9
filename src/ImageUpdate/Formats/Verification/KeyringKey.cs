using System.Security.Cryptography;
using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// A transferable public key (RFC 4880 §11.1): a primary key, its user IDs and subkeys, and what its
/// self-signatures establish. Every self-signature, binding, back-signature and revocation is checked
/// cryptographically; one that does not verify, or uses a hash the policy refuses, is ignored (and
/// reported) as if absent, as gpg does.
/// </summary>
internal sealed class KeyringKey
{
    // State while reading: the component the next signatures belong to.
    private byte[]? _userId;
    private KeyringSubkey? _subkey;
    private bool _inUserAttribute;
    private bool _inBrokenSubkey;
    private PgpSignature? _newestSelfSignature;
    private uint _primaryUserIdCreated;
    private bool _userIdIsPrimary;

    private KeyringKey(PgpPublicKey primary)
    {
        Primary = primary;
    }

    public PgpPublicKey Primary { get; }

    public string? UserId { get; private set; }

    public byte? KeyFlags { get; private set; }

    public uint ExpirationSeconds { get; private set; }

    public bool Revoked { get; private set; }

    public List<KeyringSubkey> Subkeys { get; } = [];

    public DateTimeOffset? Expires => ExpirationSeconds == 0 ? null : Primary.Created.AddSeconds(ExpirationSeconds);

    public bool MaySign => KeyFlags is null || (KeyFlags & PgpSignature.KeyFlagSign) != 0;

    /// <summary>
    /// Builds a key from its packets (the first is the primary key packet). Problems with single
    /// signatures or subkeys become <paramref name="warnings"/>.
    /// </summary>
    /// <exception cref="VerificationException">The primary key cannot be used at all.</exception>
    public static KeyringKey Build(IReadOnlyList<PgpPacket> packets, string origin, List<string> warnings)
    {
        var primary = PgpPublicKey.Parse(packets[0].Body.Span, $"key packet in {origin}");
        if (primary.UnsupportedReason is { } reason)
        {
            throw new VerificationException($"Key {primary.FingerprintHex} in {origin} cannot be used: {reason}.");
        }

        var key = new KeyringKey(primary);
        key.ReadComponents(packets, origin, warnings);
        if (key._newestSelfSignature is null)
        {
            throw new VerificationException($"Key {primary.FingerprintHex} in {origin} has no valid self-signature.");
        }

        return key;
    }

    private void ReadComponents(IReadOnlyList<PgpPacket> packets, string origin, List<string> warnings)
    {
        var revokedUserIds = new HashSet<string>(StringComparer.Ordinal);
        var certifications = new List<(byte[] UserId, PgpSignature Signature)>();

        for (var i = 1; i < packets.Count; i++)
        {
            var packet = packets[i];
            switch ((PgpPacketTag)packet.Tag)
            {
                case PgpPacketTag.UserId:
                    _userId = packet.Body.ToArray();
                    _subkey = null;
                    _inUserAttribute = _inBrokenSubkey = false;
                    break;

                case PgpPacketTag.UserAttribute:
                    _userId = null;
                    _subkey = null;
                    _inUserAttribute = true;
                    _inBrokenSubkey = false;
                    break;

                case PgpPacketTag.PublicSubkey:
                    _userId = null;
                    _inUserAttribute = false;
                    try
                    {
                        _subkey = new KeyringSubkey(PgpPublicKey.Parse(packet.Body.Span, $"subkey packet of {Primary.FingerprintHex} in {origin}"));
                        Subkeys.Add(_subkey);
                        _inBrokenSubkey = false;
                    }
                    catch (VerificationException e)
                    {
                        warnings.Add($"Ignoring a subkey of {Primary.FingerprintHex}: {e.Message}");
                        _subkey = null;
                        _inBrokenSubkey = true;
                    }

                    break;

                case PgpPacketTag.Signature when !_inUserAttribute && !_inBrokenSubkey:
                    PgpSignature signature;
                    try
                    {
                        signature = PgpSignature.Parse(packet.Body.Span, $"signature packet of {Primary.FingerprintHex} in {origin}");
                    }
                    catch (VerificationException e)
                    {
                        warnings.Add($"Ignoring a signature on {Primary.FingerprintHex}: {e.Message}");
                        break;
                    }

                    if (signature.Type == PgpSignature.CertificationRevocation && _userId is not null && IsValidSelfSignature(signature, _userId, null, warnings))
                    {
                        revokedUserIds.Add(Encoding.UTF8.GetString(_userId));
                    }
                    else if (signature.Type is >= PgpSignature.FirstCertification and <= PgpSignature.LastCertification && _userId is not null)
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

    private void ReadKeySignature(PgpSignature signature, List<string> warnings)
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

    private void AdoptSelfSignature(PgpSignature signature)
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
    private bool HasValidBackSignature(PgpSignature binding, PgpPublicKey subkey, List<string> warnings)
    {
        if (binding.EmbeddedSignature is null)
        {
            return false;
        }

        try
        {
            var back = PgpSignature.Parse(binding.EmbeddedSignature, $"back-signature of subkey {subkey.FingerprintHex}");
            return back.Type == PgpSignature.PrimaryKeyBinding && IsValid(back, subkey, null, subkey, warnings);
        }
        catch (VerificationException e)
        {
            warnings.Add(e.Message);
            return false;
        }
    }

    private bool IsValidSelfSignature(PgpSignature signature, byte[]? userId, PgpPublicKey? subkey, List<string> warnings)
    {
        // Third-party certifications are not self-signatures; they need not be checked at all.
        if (!Primary.Matches(signature.IssuerKeyId, signature.IssuerFingerprint))
        {
            return false;
        }

        return IsValid(signature, Primary, userId, subkey, warnings);
    }

    private bool IsValid(PgpSignature signature, PgpPublicKey signer, byte[]? userId, PgpPublicKey? subkey, List<string> warnings)
    {
        var what = $"signature of type 0x{signature.Type:x2} on key {Primary.FingerprintHex}";
        if (PgpAlgorithms.AcceptedHash(signature.HashAlgorithm) is not { } hash)
        {
            warnings.Add($"Ignoring the {what}: it uses {PgpAlgorithms.HashName(signature.HashAlgorithm)}, which is not accepted.");
            return false;
        }

        if (signature.UnknownCriticalSubpacket is { } critical)
        {
            warnings.Add($"Ignoring the {what}: it has an unknown critical subpacket {critical}.");
            return false;
        }

        if (signature.CreatedSeconds is not { } created || created < Primary.CreatedSeconds)
        {
            warnings.Add($"Ignoring the {what}: it has no creation time or predates the key.");
            return false;
        }

        using var hasher = IncrementalHash.CreateHash(hash);
        PgpCrypto.AppendKey(hasher, Primary);
        if (userId is not null)
        {
            PgpCrypto.AppendUserId(hasher, userId);
        }

        if (subkey is not null)
        {
            PgpCrypto.AppendKey(hasher, subkey);
        }

        if (!PgpCrypto.Verify(signer, signature, PgpCrypto.Finish(hasher, signature), hash))
        {
            warnings.Add($"Ignoring the {what}: it does not verify.");
            return false;
        }

        return true;
    }
}
