using ImageUpdate.Foundation.Errors;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto.Parameters;

namespace ImageUpdate.Formats.Verification.Signing;

/// <summary>
/// An OpenPGP secret key as <c>gpg --export-secret-keys [--armor]</c> writes it (without a passphrase),
/// ready to make detached signatures that <see cref="OpenPgpSignatureVerifier"/> and gpg accept, and
/// able to give the matching public keyring.
/// </summary>
/// <remarks>
/// <para>Only RSA and Ed25519 (legacy EdDSA, algorithm 22, what gpg 2.2 makes) keys can sign. The
/// secret keys are read by BouncyCastle (<see cref="PgpSecretKeyRing"/>) and the signature made by its
/// <see cref="PgpSignatureGenerator"/>; the key's self-signatures are checked by the same code that
/// reads trusted keyrings. Ours, because BouncyCastle lacks them: the choice of the signing key,
/// the secret checksum of an unprotected key (BouncyCastle checks it only when it decrypts) and the
/// check that the secret belongs to the public key.</para>
/// <para>Which key signs follows gpg: the newest subkey that is bound, may sign, is neither revoked
/// nor expired and whose secret is in the file; else the primary key if it may sign.</para>
/// </remarks>
public sealed class OpenPgpSigningKey
{
    /// <summary>Secret key exports are a few kilobytes; anything this large is not one.</summary>
    public const int MaximumSize = 1024 * 1024;

    /// <summary>SHA-512, as gpg prefers for Ed25519; any RSA key of 2048 bits or more carries it too.</summary>
    private const HashAlgorithmTag Hash = HashAlgorithmTag.Sha512;

    private readonly PgpPublicKey _signer;
    private readonly PgpPrivateKey _secret;

    private OpenPgpSigningKey(string origin, PgpPublicKey signer, PgpPrivateKey secret, string primaryFingerprint, byte[] publicKeyring)
    {
        Origin = origin;
        _signer = signer;
        _secret = secret;
        PrimaryFingerprint = primaryFingerprint;
        PublicKeyring = publicKeyring;
    }

    /// <summary>The file the key came from, used in messages.</summary>
    public string Origin { get; }

    /// <summary>The primary key's fingerprint (40 upper-case hex digits, as gpg prints it).</summary>
    public string PrimaryFingerprint { get; }

    /// <summary>The fingerprint of the key that signs: a subkey's when a subkey signs.</summary>
    public string SigningFingerprint => PgpAlgorithms.FingerprintHex(_signer);

    /// <summary>When the signing key was made: signatures must not predate it.</summary>
    public DateTimeOffset SigningKeyCreated => PgpAlgorithms.Created(_signer);

    /// <summary>gpg-like name of the signing key's algorithm: rsa3072, ed25519.</summary>
    public string Algorithm => PgpAlgorithms.Describe(_signer);

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
            throw new SigningKeyException(origin, $"Signing key {UntrustedText.Escape(origin)} could not be read: {PgpPacketReader.DescribeUnexpected(e)}", e);
        }
    }

    /// <summary>
    /// A detached binary signature (one signature packet, as <c>gpg --detach-sign</c> writes) over
    /// <paramref name="data"/>, made at <paramref name="created"/> (whole seconds are kept): type 0x00,
    /// SHA-512, hashed creation time (2) and issuer fingerprint (33, RFC 9580 §5.2.3.35), unhashed
    /// issuer key ID (16). RSA PKCS#1 v1.5 and Ed25519 are deterministic, so the same inputs give the
    /// same bytes.
    /// </summary>
    /// <exception cref="SigningKeyException"><paramref name="created"/> predates the signing key, so no verifier would accept it.</exception>
    public byte[] SignDetached(ReadOnlySpan<byte> data, DateTimeOffset created)
    {
        if (created < SigningKeyCreated)
        {
            throw new SigningKeyException(Origin, $"Cannot sign at {created.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC with key {SigningFingerprint} of {UntrustedText.Escape(Origin)}, which was made later ({SigningKeyCreated.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC); verifiers refuse such signatures (is SOURCE_DATE_EPOCH too old?).");
        }

        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, DateTimeOffset.FromUnixTimeSeconds(created.ToUnixTimeSeconds()).UtcDateTime);
        hashed.SetIssuerFingerprint(false, _signer);
        var unhashed = new PgpSignatureSubpacketGenerator();
        unhashed.SetIssuerKeyID(false, _signer.KeyId);

        var generator = new PgpSignatureGenerator(_signer.Algorithm, Hash);
        PgpSignatureCheck.WithoutModulusPrimalityTest(() => generator.InitSign(PgpSignature.BinaryDocument, _secret));
        generator.SetHashedSubpackets(hashed.Generate());
        generator.SetUnhashedSubpackets(unhashed.Generate());
        generator.Update(data);
        return generator.Generate().GetEncoded();
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

        packets.RemoveAll(p => p.Tag is PacketTag.Marker or PacketTag.Trust);
        if (packets.Count == 0 || packets[0].Tag != PacketTag.SecretKey)
        {
            throw new SigningKeyException(origin, packets.Count > 0 && packets[0].Tag == PacketTag.PublicKey
                ? $"Signing key {quoted} holds a public key, not a secret one; export it with gpg --export-secret-keys."
                : $"Signing key {quoted} does not start with a secret key packet; export it with gpg --export-secret-keys.");
        }

        var primaries = packets.Count(p => p.Tag == PacketTag.SecretKey);
        if (primaries > 1)
        {
            throw new SigningKeyException(origin, $"Signing key {quoted} holds {primaries} secret keys; export only the one to sign with (gpg --export-secret-keys FINGERPRINT).");
        }

        // Each secret packet first on its own, for the checks BouncyCastle does not make.
        var secrets = new List<SecretKeyPacket>();
        foreach (var packet in packets.Where(p => p.Tag is PacketTag.SecretKey or PacketTag.SecretSubkey))
        {
            var where = packet.Tag == PacketTag.SecretKey ? $"primary key packet of {what}" : $"subkey packet of {what}";
            var secret = PgpPacketReader.ReadSecretKey(packet, where);
            CheckChecksum(secret, where);
            secrets.Add(secret);
        }

        var ring = PgpPacketReader.Decode(what, () => new PgpSecretKeyRing(binary));
        var publicKeyring = PgpPacketReader.Decode(what, () => ExportPublicKeys(ring));
        var parsed = Keyring.Parse(publicKeyring, origin);
        if (parsed.Entries.Count == 0)
        {
            var reason = parsed.Warnings.Count > 0 ? parsed.Warnings[0] : "it holds no usable key";
            throw new SigningKeyException(origin, $"Signing key {quoted} cannot be used: {reason}");
        }

        var key = parsed.Entries[0];
        var (signer, privateKey) = ChooseSigner(key, ring, secrets, origin);
        return new OpenPgpSigningKey(origin, signer, privateKey, key.FingerprintHex, publicKeyring);
    }

    // The transferable public key: every secret key's public part with its user IDs and signatures,
    // as gpg --export writes it (trust packets and non-exportable signatures left out).
    private static byte[] ExportPublicKeys(PgpSecretKeyRing ring)
    {
        using var output = new MemoryStream();
        foreach (var key in ring.GetPublicKeys())
        {
            key.Encode(output, forTransfer: true);
        }

        return output.ToArray();
    }

    /// <summary>
    /// RFC 4880 §5.5.3: with S2K usage 0 a two-octet sum of the secret field octets follows them.
    /// BouncyCastle checks it only for protected keys, after decrypting.
    /// </summary>
    private static void CheckChecksum(SecretKeyPacket secret, string what)
    {
        if (secret.S2kUsage != SecretKeyPacket.UsageNone)
        {
            return;
        }

        var material = secret.GetSecretKeyData() ?? [];
        if (material.Length < 2)
        {
            throw new VerificationException($"The {what} is truncated: its secret part lacks the checksum.");
        }

        var sum = 0;
        foreach (var b in material.AsSpan(0, material.Length - 2))
        {
            sum = (sum + b) & 0xffff;
        }

        if (sum != ((material[^2] << 8) | material[^1]))
        {
            throw new VerificationException($"The {what} fails its secret checksum (damaged?).");
        }
    }

    private static (PgpPublicKey Signer, PgpPrivateKey Secret) ChooseSigner(KeyringKey key, PgpSecretKeyRing ring, List<SecretKeyPacket> secrets, string origin)
    {
        var quoted = UntrustedText.Escape(origin);
        var now = DateTimeOffset.UtcNow;
        if (key.Revoked)
        {
            throw new SigningKeyException(origin, $"Key {key.FingerprintHex} in {quoted} has been revoked.");
        }

        if (key.Expires is { } expires && expires <= now)
        {
            throw new SigningKeyException(origin, $"Key {key.FingerprintHex} in {quoted} expired on {expires.UtcDateTime:yyyy-MM-dd}.");
        }

        var candidates = key.Subkeys
            .Where(s => s.MaySign && !s.Revoked && (s.Expires is null || s.Expires > now))
            .OrderByDescending(s => s.Created)
            .Select(s => s.Key)
            .ToList();
        if (key.MaySign)
        {
            candidates.Add(key.Primary);
        }

        var reasons = new List<string>();
        foreach (var candidate in candidates)
        {
            var fingerprint = PgpAlgorithms.FingerprintHex(candidate);
            var packet = secrets.First(s => PgpAlgorithms.FingerprintHex(new PgpPublicKey(s.PublicKeyPacket)) == fingerprint);
            if (SecretMissing(packet, candidate) is not { } missing)
            {
                var secret = ring.GetSecretKey(candidate.GetFingerprint());
                return (candidate, Extract(secret, candidate, $"signing key {quoted}"));
            }

            // gpg would ask for the passphrase of the key it prefers rather than fall back to another.
            if (missing.Protected)
            {
                throw new SigningKeyException(origin, $"Signing key {quoted} is protected by a passphrase, which image-update does not ask for; export it without one (gpg --passwd to set an empty passphrase, then gpg --export-secret-keys).");
            }

            // A stub (secret elsewhere) is skipped, as gpg skips keys whose secret it lacks.
            reasons.Add($"{fingerprint}: {missing.Reason}");
        }

        throw new SigningKeyException(origin, candidates.Count == 0
            ? $"Signing key {quoted} has no key or subkey that is allowed to sign and still valid."
            : $"Signing key {quoted} has no key that can sign here ({string.Join("; ", reasons)}).");
    }

    // RFC 4880 §3.7.2.1: 254 and 255 mean an S2K specifier follows; gpg's DETAILS: S2K type 101 is
    // GNU's extension, whose mode 1 is "no secret part" and 2 "on a card".
    private static (string Reason, bool Protected)? SecretMissing(SecretKeyPacket secret, PgpPublicKey key)
    {
        if (secret.S2k?.Type == S2k.GnuDummyS2K)
        {
            return ("its secret part is not in the file (a gpg stub: exported with --export-secret-subkeys, or kept on a smartcard)", false);
        }

        if (secret.S2kUsage != SecretKeyPacket.UsageNone)
        {
            return ("it is protected by a passphrase", true);
        }

        return key.Algorithm switch
        {
            PublicKeyAlgorithmTag.RsaGeneral or PublicKeyAlgorithmTag.RsaSign or PublicKeyAlgorithmTag.EdDsa_Legacy when PgpAlgorithms.UnsupportedReason(key) is null => null,
            _ => ($"{PgpAlgorithms.PublicKeyName((int)key.Algorithm)} ({PgpAlgorithms.Describe(key)}) keys cannot sign here (only RSA and Ed25519 can)", false),
        };
    }

    // BouncyCastle takes the secret as it stands; a damaged one that still sums right would sign
    // with a key nobody can verify, so it must belong to the public key.
    private static PgpPrivateKey Extract(PgpSecretKey secret, PgpPublicKey key, string what)
    {
        var extracted = PgpPacketReader.Decode(what, () => PgpSignatureCheck.WithoutModulusPrimalityTest(() => secret.ExtractPrivateKeyRaw([])));
        var matches = (extracted.Key, PgpSignatureCheck.WithoutModulusPrimalityTest(key.GetKey)) switch
        {
            (RsaPrivateCrtKeyParameters rsa, RsaKeyParameters pub) => rsa.Modulus.Equals(pub.Modulus) && rsa.PublicExponent.Equals(pub.Exponent),
            (Ed25519PrivateKeyParameters ed, Ed25519PublicKeyParameters pub) => ed.GeneratePublicKey().GetEncoded().AsSpan().SequenceEqual(pub.GetEncoded()),
            _ => false,
        };
        if (!matches)
        {
            throw new VerificationException($"The {what} holds a secret that does not belong to key {PgpAlgorithms.FingerprintHex(key)}.");
        }

        return extracted;
    }
}
