using System.Globalization;
using System.Text;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Tests.Formats.Verification;

[Collection(GpgCollection.Name)]
public sealed class KeyringTests(GpgFixture gpg)
{
    [Fact]
    public void Parse_lists_every_usable_key_with_what_gpg_says_about_it()
    {
        var keyring = Keyring.Parse(gpg.Keyring, "k.pgp");

        var usable = GpgFixture.KeyringMembers.Where(n => n != "nist").ToArray();
        Assert.Equal(usable.Select(gpg.Fingerprint), keyring.Keys.Select(k => k.Fingerprint));
        foreach (var name in usable)
        {
            var key = keyring.Keys.Single(k => k.Fingerprint == gpg.Fingerprint(name));
            // gpg --with-colons, "pub" record: field 6 creation, field 7 expiry (epoch seconds, empty for never).
            var pub = Encoding.UTF8.GetString(gpg.Gpg("--with-colons", "--list-keys", gpg.Fingerprint(name)))
                .Split('\n').First(l => l.StartsWith("pub:", StringComparison.Ordinal)).Split(':');
            Assert.Equal(long.Parse(pub[5], CultureInfo.InvariantCulture), key.Created.ToUnixTimeSeconds());
            Assert.Equal(pub[6].Length == 0 ? null : long.Parse(pub[6], CultureInfo.InvariantCulture), key.Expires?.ToUnixTimeSeconds());
            Assert.Equal(pub[1] == "r", key.Revoked);
            Assert.Equal(pub[4], key.KeyId);
            Assert.Equal($"{char.ToUpperInvariant(name[0])}{name[1..]} Test <{name}@example.org>", key.UserId);
        }
    }

    [Fact]
    public void Parse_describes_algorithms_subkeys_and_usage_like_gpg()
    {
        var keys = Keyring.Parse(gpg.Keyring, "k.pgp").Keys.ToDictionary(k => k.Fingerprint);

        var rsa = keys[gpg.Fingerprint("rsa")];
        Assert.Equal(("rsa3072", true, 0), (rsa.Algorithm, rsa.CanSign, rsa.Subkeys.Count));
        Assert.Equal("rsa1024", keys[gpg.Fingerprint("weak")].Algorithm);

        var ed = keys[gpg.Fingerprint("ed")];
        Assert.Equal(("ed25519", true), (ed.Algorithm, ed.CanSign));
        var encryption = Assert.Single(ed.Subkeys);
        Assert.Equal(("cv25519", false, null), (encryption.Algorithm, encryption.CanSign, encryption.UserId));

        var sub = keys[gpg.Fingerprint("sub")];
        Assert.False(sub.CanSign);
        var signing = Assert.Single(sub.Subkeys);
        Assert.Equal((gpg.SigningSubkeyFingerprint("sub"), "ed25519", true), (signing.Fingerprint, signing.Algorithm, signing.CanSign));

        Assert.True(keys[gpg.Fingerprint("revoked")].Revoked);
        Assert.True(keys[gpg.Fingerprint("old")].IsExpiredAt(DateTimeOffset.UtcNow));
        Assert.False(keys[gpg.Fingerprint("never")].IsExpiredAt(DateTimeOffset.MaxValue));
    }

    [Fact]
    public void Parse_skips_an_unsupported_key_with_a_warning_and_keeps_the_others()
    {
        byte[] bytes = [.. gpg.NistKey, .. gpg.EdKey];

        var keyring = Keyring.Parse(bytes, "k.pgp");

        Assert.Equal([gpg.Fingerprint("ed")], keyring.Keys.Select(k => k.Fingerprint));
        Assert.Contains(keyring.Warnings, w => w.Contains($"Key {gpg.Fingerprint("nist")} in k.pgp cannot be used: ECDSA keys are not supported.", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_reads_binary_armored_and_concatenated_armored_keyrings_alike()
    {
        var binary = Keyring.Parse(gpg.Keyring, "k.pgp").Keys.Select(k => k.Fingerprint);

        Assert.Equal(binary, Keyring.Parse(gpg.ArmoredKeyring, "k.asc").Keys.Select(k => k.Fingerprint));
        Assert.Equal([gpg.Fingerprint("rsa"), gpg.Fingerprint("ed")], Keyring.Parse(gpg.ConcatenatedArmoredKeyring, "k.asc").Keys.Select(k => k.Fingerprint));
    }

    [Fact]
    public void Parse_skips_a_version_5_key_and_a_secret_key()
    {
        byte[] v5 = [0x99, 0x00, 0x06, 0x05, 0x60, 0x00, 0x00, 0x00, 0x16];
        byte[] secret = [0x95, 0x00, 0x01, 0x04];

        var keyring = Keyring.Parse([.. v5, .. secret, .. gpg.RsaKey], "k.pgp");

        Assert.Equal([gpg.Fingerprint("rsa")], keyring.Keys.Select(k => k.Fingerprint));
        Assert.Contains(keyring.Warnings, w => w.Contains("is a version 5 key; only version 4 keys are supported", StringComparison.Ordinal));
        Assert.Contains(keyring.Warnings, w => w.Contains("Ignoring a secret key in keyring k.pgp", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_keeps_the_keys_before_a_damaged_tail()
    {
        byte[] bytes = [.. gpg.RsaKey, 0x99, 0xff, 0xff, 0x04];

        var keyring = Keyring.Parse(bytes, "k.pgp");

        Assert.Equal([gpg.Fingerprint("rsa")], keyring.Keys.Select(k => k.Fingerprint));
        Assert.Contains(keyring.Warnings, w => w.StartsWith("Ignoring the rest of keyring k.pgp: The keyring k.pgp is truncated", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ed")]
    public void Parse_skips_a_key_packet_with_bytes_after_its_key_material(string name)
    {
        var bytes = PacketSurgery.AppendToBody(gpg.Gpg("--export", gpg.Fingerprint(name)), 6, 0x00, 0x01);

        var keyring = Keyring.Parse(bytes, "k.pgp");

        Assert.Empty(keyring.Keys);
        Assert.Contains("Ignoring a key: The key packet in k.pgp has 2 unexpected bytes at its end.", keyring.Warnings);
    }

    [Fact]
    public void Parse_skips_a_subkey_packet_with_bytes_after_its_key_material()
    {
        var fingerprint = gpg.Fingerprint("sub");
        var bytes = PacketSurgery.AppendToBody(gpg.Gpg("--export", fingerprint), 14, 0x00, 0x01);

        var keyring = Keyring.Parse(bytes, "k.pgp");

        Assert.Contains($"Ignoring a subkey of {fingerprint}: The subkey packet of {fingerprint} in k.pgp has 2 unexpected bytes at its end.", keyring.Warnings);
    }

    [Fact]
    public void Parse_drops_a_key_whose_self_signature_does_not_verify()
    {
        var bytes = gpg.EdKey.ToArray();
        var at = bytes.AsSpan().IndexOf("ed@example.org"u8);
        bytes[at] = (byte)'E';

        var keyring = Keyring.Parse(bytes, "k.pgp");

        Assert.Empty(keyring.Keys);
        Assert.Contains(keyring.Warnings, w => w.Contains($"Key {gpg.Fingerprint("ed")} in k.pgp has no valid self-signature.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new byte[0], "The keyring k.pgp is empty.")]
    [InlineData(new byte[] { 0x41, 0x0a }, "The keyring k.pgp is neither binary OpenPGP data nor holds a \"-----BEGIN PGP PUBLIC KEY BLOCK-----\" block.")]
    [InlineData(new byte[] { 0x99, 0x01 }, "The keyring k.pgp packet header at offset 0 is truncated")]
    public void Parse_refuses_what_is_not_a_keyring(byte[] bytes, string fragment)
    {
        var e = Assert.Throws<VerificationException>(() => Keyring.Parse(bytes, "k.pgp"));

        Assert.StartsWith(fragment, e.Message);
    }

    [Theory]
    [InlineData("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ==\n", "lacks the \"-----END PGP PUBLIC KEY BLOCK-----\" line")]
    [InlineData("-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment x\n\nmQ==\n-----END PGP PUBLIC KEY BLOCK-----\n", "armor header line without ': '")]
    [InlineData("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nm!==\n-----END PGP PUBLIC KEY BLOCK-----\n", "holds armor that is not valid base64")]
    [InlineData("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ==\n=AAAA\nmQ==\n-----END PGP PUBLIC KEY BLOCK-----\n", "has data after its armor checksum line")]
    [InlineData("-----BEGIN PGP MESSAGE-----\n\nmQ==\n-----END PGP MESSAGE-----\n", "holds an armored \"-----BEGIN PGP MESSAGE-----\" block")]
    public void Parse_refuses_malformed_armor(string text, string fragment)
    {
        var e = Assert.Throws<VerificationException>(() => Keyring.Parse(Encoding.ASCII.GetBytes(text), "k.asc"));

        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Load_reads_a_file_and_names_a_missing_one()
    {
        var path = Path.Join(gpg.Home, "load-test.pgp");
        File.WriteAllBytes(path, gpg.RsaKey);

        Assert.Equal(path, Keyring.Load(path).Origin);
        var e = Assert.Throws<VerificationException>(() => Keyring.Load(path + ".missing"));
        Assert.StartsWith($"Cannot read keyring {path}.missing: ", e.Message);
    }
}
