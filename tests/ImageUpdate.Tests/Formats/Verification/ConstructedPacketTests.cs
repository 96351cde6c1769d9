using System.Text;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Tests.Formats.Verification;

/// <summary>
/// Signatures gpg 2.2 cannot make, built with <see cref="PgpPacketBuilder"/> and fed to the verifier
/// (and so to BouncyCastle behind it) as hostile input.
/// </summary>
public sealed class ConstructedPacketTests
{
    private static readonly byte[] Data = Encoding.UTF8.GetBytes("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a\n");

    private readonly OpenPgpSignatureVerifier _verifier = new();

    [Fact]
    public void A_legacy_eddsa_ed25519_key_verifies()
    {
        var key = new PgpPacketBuilder(22, 7);
        var keyring = Keyring.Parse(key.Key("Built <built@example.org>"), "built.pgp");
        var signature = DataSignature(key, [.. PgpPacketBuilder.CreationTime(PgpPacketBuilder.Created + 60), .. key.IssuerFingerprint()], []);

        var info = Assert.Single(keyring.Keys);
        Assert.Equal((key.FingerprintHex, "ed25519", "Built <built@example.org>"), (info.Fingerprint, info.Algorithm, info.UserId));
        Assert.Equal(key.FingerprintHex, _verifier.VerifyDetached(Data, signature, keyring).SigningKeyFingerprint);
    }

    [Fact]
    public void An_rfc9580_ed25519_key_is_skipped_with_a_warning_and_its_signature_refused()
    {
        // BouncyCastle 2.7.0 reads algorithm 27 keys but not version 4 signatures made with them.
        var key = new PgpPacketBuilder(27, 7);
        var keyring = Keyring.Parse(key.Key("Built <built@example.org>"), "built.pgp");
        var signature = DataSignature(key, [.. PgpPacketBuilder.CreationTime(PgpPacketBuilder.Created + 60), .. key.IssuerFingerprint()], []);

        Assert.Empty(keyring.Keys);
        Assert.Contains(keyring.Warnings, w => w.Contains($"Key {key.FingerprintHex} in built.pgp cannot be used: Ed25519 keys of RFC 9580 (algorithm 27) are not supported", StringComparison.Ordinal));
        Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(Data, signature, keyring));
    }

    [Fact]
    public void A_legacy_eddsa_signature_whose_R_starts_with_a_zero_byte_verifies()
    {
        // MPIs drop leading zero bytes; the verifier must put R back to 32 bytes. Ed25519 is
        // deterministic, so try creation times until R starts with 0x00 (1 in 256).
        var key = new PgpPacketBuilder(22, 9);
        var keyring = Keyring.Parse(key.Key("Zero <zero@example.org>"), "built.pgp");
        var created = PgpPacketBuilder.Created + 1;
        while (key.FirstByteOfR(Data, [.. PgpPacketBuilder.CreationTime(created), .. key.IssuerFingerprint()]) != 0)
        {
            created++;
        }

        var signature = DataSignature(key, [.. PgpPacketBuilder.CreationTime(created), .. key.IssuerFingerprint()], []);

        Assert.Equal(key.FingerprintHex, _verifier.VerifyDetached(Data, signature, keyring).SigningKeyFingerprint);
    }

    [Fact]
    public void A_legacy_eddsa_text_signature_whose_R_starts_with_a_zero_byte_verifies()
    {
        // Text signatures take their own path (the digest is ours); R must be 32 bytes there too.
        // Data holds LF line endings only, so its canonical text is it with CR LF.
        var key = new PgpPacketBuilder(22, 9);
        var keyring = Keyring.Parse(key.Key("Zero <zero@example.org>"), "built.pgp");
        var canonical = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Data).Replace("\n", "\r\n", StringComparison.Ordinal));
        var created = PgpPacketBuilder.Created + 1;
        while (key.FirstByteOfR(canonical, [.. PgpPacketBuilder.CreationTime(created), .. key.IssuerFingerprint()], 0x01) != 0)
        {
            created++;
        }

        var signature = PgpPacketBuilder.Packet(2, key.Signature(0x01, canonical, [.. PgpPacketBuilder.CreationTime(created), .. key.IssuerFingerprint()], []));

        Assert.Equal(key.FingerprintHex, _verifier.VerifyDetached(Data, signature, keyring).SigningKeyFingerprint);
    }

    [Fact]
    public void An_issuer_key_id_in_the_unhashed_area_selects_the_key()
    {
        var key = new PgpPacketBuilder(22, 11);
        var keyring = Keyring.Parse(key.Key("Id <id@example.org>"), "built.pgp");

        var signature = DataSignature(key, PgpPacketBuilder.CreationTime(PgpPacketBuilder.Created + 5), PgpPacketBuilder.Subpacket(16, key.Fingerprint[12..]));

        Assert.Equal(key.FingerprintHex, _verifier.VerifyDetached(Data, signature, keyring).PrimaryKeyFingerprint);
    }

    [Fact]
    public void A_certification_BouncyCastle_cannot_read_is_skipped_and_the_key_stays_usable()
    {
        // A third-party certification by an unknown algorithm (99): BouncyCastle refuses the packet,
        // which must cost that signature only, not the key it sits on.
        var key = new PgpPacketBuilder(22, 17);
        byte[] odd = [4, 0x10, 99, 8, 0, 0, 0, 0, 0x12, 0x34, 0, 1, 0x01];
        var keyring = Keyring.Parse([.. key.Key("Odd <odd@example.org>"), .. PgpPacketBuilder.Packet(2, odd)], "k.pgp");
        var signature = DataSignature(key, [.. PgpPacketBuilder.CreationTime(PgpPacketBuilder.Created + 5), .. key.IssuerFingerprint()], []);

        Assert.Equal([key.FingerprintHex], keyring.Keys.Select(k => k.Fingerprint));
        Assert.Contains(keyring.Warnings, w => w.StartsWith($"Ignoring a signature on {key.FingerprintHex}: The signature packet of {key.FingerprintHex} in k.pgp cannot be read: ", StringComparison.Ordinal));
        Assert.Equal(key.FingerprintHex, _verifier.VerifyDetached(Data, signature, keyring).SigningKeyFingerprint);
    }

    [Fact]
    public void A_key_of_an_unknown_algorithm_is_skipped_and_a_signature_naming_it_says_the_keyring_holds_it()
    {
        // BouncyCastle throws on algorithm 99 before it knows the key's ID; the keyring still has to
        // remember that ID, so that a signature by the key says why it cannot be checked.
        byte[] body = [4, 0x65, 0x53, 0xf1, 0x00, 99, 0x00, 0x08, 0xab];
        var fingerprint = Convert.ToHexString(System.Security.Cryptography.SHA1.HashData([0x99, 0, (byte)body.Length, .. body]));
        var other = new PgpPacketBuilder(22, 23);
        byte[] odd = [.. PgpPacketBuilder.Packet(6, body), .. PgpPacketBuilder.Packet(13, Encoding.UTF8.GetBytes("Odd <odd@example.org>"))];
        var keyring = Keyring.Parse([.. odd, .. other.Key("Other <other@example.org>")], "k.pgp");
        var reason = $"Key {fingerprint} in k.pgp cannot be used: algorithm 99 keys are not supported.";
        var signature = DataSignature(other, [.. PgpPacketBuilder.CreationTime(PgpPacketBuilder.Created + 5), .. PgpPacketBuilder.Subpacket(33, [4, .. Convert.FromHexString(fingerprint)])], []);

        Assert.Equal([other.FingerprintHex], keyring.Keys.Select(k => k.Fingerprint));
        Assert.Contains($"Ignoring a key: {reason}", keyring.Warnings);
        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(Data, signature, keyring));
        Assert.Equal($"The signature was made by key {fingerprint}, which the keyring holds but cannot use: {reason}", e.Message);
    }

    [Theory]
    [InlineData("good", null)]
    [InlineData("version 3", "The back-signature of subkey {0} is a version 3 signature; only version 4 signatures are supported.")]
    [InlineData("bytes after", "The back-signature of subkey {0} has 2 unexpected bytes at its end.")]
    public void A_signing_subkey_needs_a_version_4_back_signature_that_ends_with_its_value(string variant, string? warning)
    {
        var primary = new PgpPacketBuilder(22, 29);
        var sub = new PgpPacketBuilder(22, 31);
        byte[] signed = [0x99, 0, (byte)primary.KeyBody.Length, .. primary.KeyBody, 0x99, 0, (byte)sub.KeyBody.Length, .. sub.KeyBody];
        var created = PgpPacketBuilder.CreationTime(PgpPacketBuilder.Created + 1);
        var back = sub.Signature(0x19, signed, [.. created, .. sub.IssuerFingerprint()], []);
        back = variant switch
        {
            "version 3" => [3, .. back[1..]],
            "bytes after" => [.. back, 0x00, 0x01],
            _ => back,
        };
        var binding = primary.Signature(0x18, signed, [.. created, .. primary.IssuerFingerprint(), .. PgpPacketBuilder.Subpacket(27, 0x02), .. PgpPacketBuilder.Subpacket(32, back)], []);
        var keyring = Keyring.Parse([.. primary.Key("Primary <primary@example.org>"), .. PgpPacketBuilder.Packet(14, sub.KeyBody), .. PgpPacketBuilder.Packet(2, binding)], "k.pgp");
        var signature = DataSignature(sub, [.. PgpPacketBuilder.CreationTime(PgpPacketBuilder.Created + 5), .. sub.IssuerFingerprint()], []);

        if (warning is null)
        {
            Assert.Equal(sub.FingerprintHex, _verifier.VerifyDetached(Data, signature, keyring).SigningKeyFingerprint);
            return;
        }

        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, warning, sub.FingerprintHex), keyring.Warnings);
        Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(Data, signature, keyring));
    }

    [Fact]
    public void A_signature_BouncyCastle_cannot_read_ends_in_a_verification_error_naming_it()
    {
        var key = new PgpPacketBuilder(22, 19);
        var keyring = Keyring.Parse(key.Key("Zero <zero@example.org>"), "k.pgp");
        // A hashed subpacket of length 0, which RFC 4880 §5.2.3.1 has no room for.
        var body = key.Signature(0x00, Data, [.. PgpPacketBuilder.CreationTime(PgpPacketBuilder.Created + 5), 0], []);

        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(Data, PgpPacketBuilder.Packet(2, body), keyring));

        Assert.StartsWith("The signature cannot be read: ", e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(e.InnerException);
    }

    public static TheoryData<string, int, string> OddSignatures => new()
    {
        { "critical", 0x00, "has an unknown critical subpacket of type 99" },
        { "no-issuer", 0x00, "names no issuer key" },
        { "no-creation", 0x00, "has no creation time in its hashed area" },
        { "certification", 0x13, "has type 0x13, which is not a signature over a document" },
        { "predates", 0x00, "predates its key" },
    };

    [Theory]
    [MemberData(nameof(OddSignatures))]
    public void Odd_signatures_are_refused(string variant, int type, string fragment)
    {
        var key = new PgpPacketBuilder(22, 13);
        var keyring = Keyring.Parse(key.Key("Odd <odd@example.org>"), "built.pgp");
        var created = PgpPacketBuilder.CreationTime(variant == "predates" ? PgpPacketBuilder.Created - 1 : PgpPacketBuilder.Created + 1);
        byte[] hashed = variant switch
        {
            "critical" => [.. created, .. key.IssuerFingerprint(), 2, 0x80 | 99, 0],
            "no-issuer" => created,
            "no-creation" => key.IssuerFingerprint(),
            _ => [.. created, .. key.IssuerFingerprint()],
        };
        var signature = PgpPacketBuilder.Packet(2, key.Signature(type, Data, hashed, []));

        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(Data, signature, keyring));

        Assert.Contains(fragment, e.Message);
    }

    private static byte[] DataSignature(PgpPacketBuilder key, byte[] hashed, byte[] unhashed) =>
        PgpPacketBuilder.Packet(2, key.Signature(0x00, Data, hashed, unhashed));
}
