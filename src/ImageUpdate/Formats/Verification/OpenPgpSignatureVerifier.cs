using System.Globalization;
using ImageUpdate.Foundation.Errors;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// Verifies detached version 4 OpenPGP signatures made by gpg with RSA or Ed25519 keys.
/// </summary>
/// <remarks>
/// Policy (issue 4): RSA keys of 2048-4096 bits and Ed25519 keys; SHA-256, SHA-384 or SHA-512;
/// signature types 0x00 (binary, what <c>gpg --detach-sign</c> makes) and 0x01 (text,
/// <c>gpg --textmode</c>, which gpg and so systemd-pull accept too); the key and, for a subkey, its
/// primary must be neither revoked nor expired now; the signature must not be from the future
/// (beyond <see cref="AllowedClockSkew"/>), must not have expired, and must not predate its key. When
/// the signature file holds several signatures, the first acceptable one wins.
/// <para>The packets are read and the signature checked by BouncyCastle; the policy is ours.</para>
/// </remarks>
public sealed class OpenPgpSignatureVerifier : ISignatureVerifier
{
    /// <summary>Signature files are a few hundred bytes; this bounds the work a hostile one causes.</summary>
    public const int MaximumSignatureSize = 64 * 1024;

    private const int MaximumSignatures = 16;

    private readonly TimeProvider _time;

    public OpenPgpSignatureVerifier(TimeProvider? time = null, TimeSpan? allowedClockSkew = null)
    {
        _time = time ?? TimeProvider.System;
        AllowedClockSkew = allowedClockSkew ?? TimeSpan.FromMinutes(5);
    }

    /// <summary>How far in the future a signature's creation time may be (the signer's clock may run ahead).</summary>
    public TimeSpan AllowedClockSkew { get; }

    public VerifiedSignature VerifyDetached(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, Keyring keyring)
    {
        try
        {
            return VerifyAny(data, signature, keyring);
        }
        catch (VerificationException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The boundary the fuzz tests hold us to: whatever a library throws on hostile input
            // reaches the caller as a verification failure, never as an unexpected exception type.
            throw new VerificationException($"The signature could not be checked: {PgpPacketReader.DescribeUnexpected(e)}", e);
        }
    }

    private VerifiedSignature VerifyAny(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, Keyring keyring)
    {
        const string what = "signature file";
        if (signature.IsEmpty)
        {
            throw new VerificationException("The signature file is empty.");
        }

        if (signature.Length > MaximumSignatureSize)
        {
            throw new VerificationException($"The signature file is {signature.Length} bytes, more than the {MaximumSignatureSize} a detached signature can plausibly need.");
        }

        byte[] binary = (signature[0] & 0x80) != 0 ? signature.ToArray() : PgpArmor.Decode(signature, "SIGNATURE", what);
        var packets = PgpPacket.Split(binary, what, out var framingError);
        if (framingError is not null)
        {
            throw framingError;
        }

        VerificationException? firstFailure = null;
        var count = 0;
        foreach (var packet in packets)
        {
            if (packet.Tag == PacketTag.Marker)
            {
                continue;
            }

            if (packet.Tag != PacketTag.Signature)
            {
                throw new VerificationException($"The signature file holds a packet of type {(int)packet.Tag} where only signatures belong.");
            }

            if (++count > MaximumSignatures)
            {
                throw new VerificationException($"The signature file holds more than {MaximumSignatures} signatures.");
            }

            try
            {
                return VerifyOne(data, new PgpSignatureFacts(PgpPacketReader.ReadSignature(packet, "signature")), keyring);
            }
            catch (VerificationException e)
            {
                firstFailure ??= e;
            }
        }

        throw firstFailure ?? new VerificationException("The signature file holds no signature.");
    }

    private VerifiedSignature VerifyOne(ReadOnlySpan<byte> data, PgpSignatureFacts signature, Keyring keyring)
    {
        if (signature.Type is not (PgpSignature.BinaryDocument or PgpSignature.CanonicalTextDocument))
        {
            throw new VerificationException($"The signature has type 0x{signature.Type:x2}, which is not a signature over a document.");
        }

        if (!PgpAlgorithms.IsAcceptedHash(signature.Signature.HashAlgorithm))
        {
            throw new VerificationException($"The signature uses the {PgpAlgorithms.HashName(signature.Signature.HashAlgorithm)} hash, which is refused; only SHA-256, SHA-384 and SHA-512 are accepted.");
        }

        if (signature.UnknownCriticalSubpacket is { } critical)
        {
            throw new VerificationException($"The signature has an unknown critical subpacket of type {critical}.");
        }

        if (signature.Created is not { } created)
        {
            throw new VerificationException("The signature has no creation time in its hashed area.");
        }

        // The key first: "the keyring holds this key but cannot use it" says more than "ECDSA".
        var (key, signer) = FindSigner(signature, WithKeyBlock(signature, keyring));
        if (signature.Signature.KeyAlgorithm is not (PublicKeyAlgorithmTag.RsaGeneral or PublicKeyAlgorithmTag.RsaSign or PublicKeyAlgorithmTag.EdDsa_Legacy))
        {
            throw new VerificationException($"The signature cannot be checked: {PgpAlgorithms.PublicKeyName((int)signature.Signature.KeyAlgorithm)} signatures are not supported.");
        }

        CheckPolicy(key, signer, signature, created);

        if (!PgpSignatureCheck.VerifyDocument(signature.Signature, signer, data))
        {
            throw new VerificationException($"The signature by key {PgpAlgorithms.FingerprintHex(signer)} does not match the data: the data or the signature has been altered.");
        }

        return new VerifiedSignature(PgpAlgorithms.FingerprintHex(signer), key.FingerprintHex, created);
    }

    /// <summary>The keyring plus the subkeys the signature's key block binds to a key it trusts (systemd 262's gpg merge-only import).</summary>
    private static Keyring WithKeyBlock(PgpSignatureFacts signature, Keyring keyring)
    {
        if (signature.KeyBlock is not { } block)
        {
            return keyring;
        }

        try
        {
            return keyring.WithKeyBlock(Keyring.Parse(block, "the signature's key block"));
        }
        catch (VerificationException)
        {
            return keyring; // An unreadable block adds nothing, as gpg's failed import does.
        }
    }

    private static (KeyringKey Key, PgpPublicKey Signer) FindSigner(PgpSignatureFacts signature, Keyring keyring)
    {
        if (signature.IssuerFingerprint is null && signature.IssuerKeyId is null)
        {
            throw new VerificationException("The signature names no issuer key, so no key can be chosen to check it.");
        }

        foreach (var key in keyring.Entries)
        {
            if (signature.NamesIssuer(key.Primary))
            {
                return (key, key.Primary);
            }

            foreach (var subkey in key.Subkeys)
            {
                if (signature.NamesIssuer(subkey.Key))
                {
                    if (!subkey.Bound)
                    {
                        throw new VerificationException($"The signature was made by subkey {subkey.FingerprintHex}, which no valid binding signature ties to key {key.FingerprintHex}.");
                    }

                    if (!subkey.MaySign)
                    {
                        throw new VerificationException(subkey.HasBackSignature || (subkey.KeyFlags & PgpSignatureFacts.KeyFlagSign) == 0
                            ? $"The signature was made by subkey {subkey.FingerprintHex} of key {key.FingerprintHex}, which is not allowed to sign."
                            : $"The signature was made by subkey {subkey.FingerprintHex} of key {key.FingerprintHex}, which lacks the back-signature a signing subkey needs.");
                    }

                    if (subkey.Revoked)
                    {
                        throw new VerificationException($"The signature was made by subkey {subkey.FingerprintHex} of key {key.FingerprintHex}, which has been revoked.");
                    }

                    return (key, subkey.Key);
                }
            }
        }

        if (keyring.UnusableReason(signature.IssuerKeyIdOrFingerprintTail!.Value) is { } reason)
        {
            throw new VerificationException($"The signature was made by key {signature.IssuerText}, which the keyring holds but cannot use: {reason}");
        }

        throw new VerificationException($"The signature was made by unknown key {signature.IssuerText}, which is not in keyring {keyring.Origin}.");
    }

    private void CheckPolicy(KeyringKey key, PgpPublicKey signer, PgpSignatureFacts signature, DateTimeOffset created)
    {
        var now = _time.GetUtcNow();
        var primary = key.FingerprintHex;
        var signerHex = PgpAlgorithms.FingerprintHex(signer);

        if (key.Revoked)
        {
            throw new VerificationException($"The signature was made by key {primary}, which has been revoked.");
        }

        if (key.Expires is { } expires && expires <= now)
        {
            throw new VerificationException($"The signature was made by key {primary}, which expired on {Format(expires)}.");
        }

        if (signer == key.Primary && !key.MaySign)
        {
            throw new VerificationException($"The signature was made by key {primary}, whose flags do not allow signing data.");
        }

        if (signer != key.Primary && key.Subkeys.First(s => s.Key == signer).Expires is { } subkeyExpires && subkeyExpires <= now)
        {
            throw new VerificationException($"The signature was made by subkey {signerHex} of key {primary}, which expired on {Format(subkeyExpires)}.");
        }

        if (PgpAlgorithms.IsRsa(signer.Algorithm) && signer.BitStrength is < PgpAlgorithms.MinimumRsaBits or > PgpAlgorithms.MaximumRsaBits)
        {
            throw new VerificationException($"The signature was made by key {signerHex}, a {signer.BitStrength}-bit RSA key; only {PgpAlgorithms.MinimumRsaBits} to {PgpAlgorithms.MaximumRsaBits} bits are accepted.");
        }

        if (PgpAlgorithms.UnsupportedReason(signer) is { } reason)
        {
            throw new VerificationException($"The signature was made by key {signerHex}, which cannot be used: {reason}.");
        }

        if (created > now + AllowedClockSkew)
        {
            throw new VerificationException($"The signature was made in the future ({Format(created)}, now {Format(now)}); the signer's or this system's clock is wrong.");
        }

        if (signature.ExpirationSeconds is > 0 and var lifetime && created.AddSeconds(lifetime) <= now)
        {
            throw new VerificationException($"The signature expired on {Format(created.AddSeconds(lifetime))}.");
        }

        if (created < PgpAlgorithms.Created(signer))
        {
            throw new VerificationException($"The signature ({Format(created)}) predates its key {signerHex} ({Format(PgpAlgorithms.Created(signer))}).");
        }
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
