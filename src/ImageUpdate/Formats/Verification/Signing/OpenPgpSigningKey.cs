using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verification.Signing;

/// <summary>
/// An OpenPGP secret key as <c>gpg --export-secret-keys [--armor]</c> writes it (without a passphrase),
/// ready to make detached signatures that <see cref="OpenPgpSignatureVerifier"/> and gpg accept, and
/// able to give the matching public keyring.
/// </summary>
/// <remarks>
/// <para>Only RSA and Ed25519 (legacy EdDSA, algorithm 22, what gpg 2.2 makes) keys can sign. The
/// packets are read here rather than by BouncyCastle, whose OpenPGP layer in 1.8.10 throws on EdDSA
/// keys; the key's self-signatures are checked by the same code that reads trusted keyrings.</para>
/// <para>Which key signs follows gpg: the newest subkey that is bound, may sign, is neither revoked
/// nor expired and whose secret is in the file; else the primary key if it may sign.</para>
/// </remarks>
public sealed class OpenPgpSigningKey
{
    /// <summary>Secret key exports are a few kilobytes; anything this large is not one.</summary>
    public const int MaximumSize = 1024 * 1024;

    private readonly PgpSecretKey _signer;

    private OpenPgpSigningKey(string origin, PgpSecretKey signer, PgpPublicKey primary, byte[] publicKeyring)
    {
        Origin = origin;
        _signer = signer;
        PrimaryFingerprint = primary.FingerprintHex;
        PublicKeyring = publicKeyring;
    }

    /// <summary>The file the key came from, used in messages.</summary>
    public string Origin { get; }

    /// <summary>The primary key's fingerprint (40 upper-case hex digits, as gpg prints it).</summary>
    public string PrimaryFingerprint { get; }

    /// <summary>The fingerprint of the key that signs: a subkey's when a subkey signs.</summary>
    public string SigningFingerprint => _signer.Public.FingerprintHex;

    /// <summary>When the signing key was made: signatures must not predate it.</summary>
    public DateTimeOffset SigningKeyCreated => _signer.Public.Created;

    /// <summary>gpg-like name of the signing key's algorithm: rsa3072, ed25519.</summary>
    public string Algorithm => _signer.Public.Description;

    /// <summary>
    /// The transferable public key (RFC 4880 §11.1) in binary: every secret key packet turned into its
    /// public counterpart, user IDs, signatures and subkeys copied as they were.
    /// </summary>
    public byte[] PublicKeyring { get; }

    /// <exception cref="SigningKeyException">The file cannot be read or holds no key that can sign.</exception>
    public static OpenPgpSigningKey Load(string path)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaximumSize)
            {
                throw new SigningKeyException(path, $"Signing key {UntrustedText.Escape(path)} is {info.Length} bytes, more than the {MaximumSize} a secret key export can plausibly need.");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SigningKeyException(path, $"Cannot read signing key {UntrustedText.Escape(path)}: {e.Message}", e);
        }

        return Parse(bytes, path);
    }

    /// <exception cref="SigningKeyException">The bytes are not an unprotected secret key that can sign.</exception>
    public static OpenPgpSigningKey Parse(ReadOnlySpan<byte> bytes, string origin)
    {
        try
        {
            return ParseUnchecked(bytes, origin);
        }
        catch (VerificationException e)
        {
            throw new SigningKeyException(origin, e.Message, e);
        }
        catch (SigningKeyException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A safety net, as around keyrings: damaged bytes end in our error type whatever a library
            // throws (the fuzz test checks that the net stays empty).
            throw new SigningKeyException(origin, $"Signing key {UntrustedText.Escape(origin)} could not be read: {e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// A detached binary signature (one signature packet, as <c>gpg --detach-sign</c> writes) over
    /// <paramref name="data"/>, made at <paramref name="created"/> (whole seconds are kept).
    /// </summary>
    /// <exception cref="SigningKeyException"><paramref name="created"/> predates the signing key, so no verifier would accept it.</exception>
    public byte[] SignDetached(ReadOnlySpan<byte> data, DateTimeOffset created)
    {
        if (created < SigningKeyCreated)
        {
            throw new SigningKeyException(Origin, $"Cannot sign at {created.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC with key {SigningFingerprint} of {UntrustedText.Escape(Origin)}, which was made later ({SigningKeyCreated.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC); verifiers refuse such signatures (is SOURCE_DATE_EPOCH too old?).");
        }

        return PgpSignatureWriter.SignBinary(_signer, data, created);
    }

    private static OpenPgpSigningKey ParseUnchecked(ReadOnlySpan<byte> bytes, string origin)
    {
        var quoted = UntrustedText.Escape(origin);
        var what = $"signing key {quoted}";
        if (bytes.IsEmpty)
        {
            throw new SigningKeyException(origin, $"Signing key {quoted} is empty.");
        }

        if (bytes.Length > MaximumSize)
        {
            throw new SigningKeyException(origin, $"Signing key {quoted} is {bytes.Length} bytes, more than the {MaximumSize} a secret key export can plausibly need.");
        }

        byte[] binary = (bytes[0] & 0x80) != 0 ? bytes.ToArray() : PgpArmor.Decode(bytes, "PRIVATE KEY BLOCK", what);
        var packets = PgpPacket.Split(binary, what, out var framingError);
        if (framingError is not null)
        {
            throw framingError;
        }

        packets.RemoveAll(p => (PgpPacketTag)p.Tag is PgpPacketTag.Marker or PgpPacketTag.Trust);
        if (packets.Count == 0 || (PgpPacketTag)packets[0].Tag != PgpPacketTag.SecretKey)
        {
            throw new SigningKeyException(origin, packets.Count > 0 && (PgpPacketTag)packets[0].Tag == PgpPacketTag.PublicKey
                ? $"Signing key {quoted} holds a public key, not a secret one; export it with gpg --export-secret-keys."
                : $"Signing key {quoted} does not start with a secret key packet; export it with gpg --export-secret-keys.");
        }

        var primaries = packets.Count(p => (PgpPacketTag)p.Tag == PgpPacketTag.SecretKey);
        if (primaries > 1)
        {
            throw new SigningKeyException(origin, $"Signing key {quoted} holds {primaries} secret keys; export only the one to sign with (gpg --export-secret-keys FINGERPRINT).");
        }

        // Secret packets become public ones; everything else is copied as it was.
        var secrets = new List<PgpSecretKey>();
        using var keyring = new MemoryStream();
        foreach (var packet in packets)
        {
            var tag = (PgpPacketTag)packet.Tag;
            if (tag is PgpPacketTag.SecretKey or PgpPacketTag.SecretSubkey)
            {
                var secret = PgpSecretKey.Parse(packet.Body.Span, tag == PgpPacketTag.SecretKey ? $"primary key packet of {what}" : $"subkey packet of {what}");
                secrets.Add(secret);
                PgpPacketWriter.WritePacket(keyring, (int)(tag == PgpPacketTag.SecretKey ? PgpPacketTag.PublicKey : PgpPacketTag.PublicSubkey), secret.Public.Body);
            }
            else
            {
                PgpPacketWriter.WritePacket(keyring, packet.Tag, packet.Body.Span);
            }
        }

        var publicKeyring = keyring.ToArray();
        var parsed = Keyring.Parse(publicKeyring, origin);
        if (parsed.Entries.Count == 0)
        {
            var reason = parsed.Warnings.Count > 0 ? parsed.Warnings[0] : "it holds no usable key";
            throw new SigningKeyException(origin, $"Signing key {quoted} cannot be used: {reason}");
        }

        var key = parsed.Entries[0];
        var signer = ChooseSigner(key, secrets, origin);
        return new OpenPgpSigningKey(origin, signer, key.Primary, publicKeyring);
    }

    private static PgpSecretKey ChooseSigner(KeyringKey key, List<PgpSecretKey> secrets, string origin)
    {
        var quoted = UntrustedText.Escape(origin);
        var now = DateTimeOffset.UtcNow;
        if (key.Revoked)
        {
            throw new SigningKeyException(origin, $"Key {key.Primary.FingerprintHex} in {quoted} has been revoked.");
        }

        if (key.Expires is { } expires && expires <= now)
        {
            throw new SigningKeyException(origin, $"Key {key.Primary.FingerprintHex} in {quoted} expired on {expires.UtcDateTime:yyyy-MM-dd}.");
        }

        var candidates = key.Subkeys
            .Where(s => s.MaySign && !s.Revoked && (s.Expires is null || s.Expires > now))
            .OrderByDescending(s => s.Key.CreatedSeconds)
            .Select(s => s.Key)
            .ToList();
        if (key.MaySign)
        {
            candidates.Add(key.Primary);
        }

        var reasons = new List<string>();
        foreach (var candidate in candidates)
        {
            var secret = secrets.First(s => s.Public.Fingerprint.AsSpan().SequenceEqual(candidate.Fingerprint));
            if (secret.SecretMissing is null)
            {
                return secret;
            }

            // gpg would ask for the passphrase of the key it prefers rather than fall back to another.
            if (secret.Protected)
            {
                throw new SigningKeyException(origin, $"Signing key {quoted} is protected by a passphrase, which image-update does not ask for; export it without one (gpg --passwd to set an empty passphrase, then gpg --export-secret-keys).");
            }

            // A stub (secret elsewhere) is skipped, as gpg skips keys whose secret it lacks.
            reasons.Add($"{candidate.FingerprintHex}: {secret.SecretMissing}");
        }

        throw new SigningKeyException(origin, candidates.Count == 0
            ? $"Signing key {quoted} has no key or subkey that is allowed to sign and still valid."
            : $"Signing key {quoted} has no key that can sign here ({string.Join("; ", reasons)}).");
    }
}
