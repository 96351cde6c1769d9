using System.Text;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Formats.Verification.Signing;
using ImageUpdate.Tests.Support;
using Org.BouncyCastle.Bcpg;

namespace ImageUpdate.Tests.Formats.Verification.Signing;

public sealed class OpenPgpSigningKeyTests(SigningKeys keys) : IClassFixture<SigningKeys>
{
    private static readonly byte[] Data = Encoding.UTF8.GetBytes("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  demo_1.raw\n");

    // After the fixture made the keys: a signature must not predate its key.
    private readonly DateTimeOffset _signingTime = DateTimeOffset.UtcNow;

    public static TheoryData<string, bool> Exports => new()
    {
        { "ed25519", false },
        { "ed25519", true },
        { "rsa", false },
        { "rsa", true },
        { "ed-default", false },
    };

    [Theory]
    [MemberData(nameof(Exports))]
    public void A_signature_verifies_with_our_verifier_and_the_exported_keyring(string name, bool armor)
    {
        var gpg = keys.Get(name);
        var key = OpenPgpSigningKey.Parse(gpg.ExportSecretKey(armor), "secret.asc");

        var signature = key.SignDetached(Data, _signingTime);
        var result = new OpenPgpSignatureVerifier().VerifyDetached(Data, signature, Keyring.Parse(key.PublicKeyring, "exported"));

        Assert.Equal(gpg.Fingerprint, key.PrimaryFingerprint);
        Assert.Equal(gpg.Fingerprint, result.PrimaryKeyFingerprint);
        Assert.Equal(key.SigningFingerprint, result.SigningKeyFingerprint);
        Assert.Equal(_signingTime.ToUnixTimeSeconds(), result.Created.ToUnixTimeSeconds());
    }

    [Theory]
    [MemberData(nameof(Exports))]
    public void A_signature_verifies_with_gpg_given_only_the_exported_keyring(string name, bool armor)
    {
        using var dir = new TempDirectory();
        var gpg = keys.Get(name);
        var key = OpenPgpSigningKey.Parse(gpg.ExportSecretKey(armor), "secret.asc");
        File.WriteAllBytes(dir["SHA256SUMS"], Data);
        File.WriteAllBytes(dir["SHA256SUMS.gpg"], key.SignDetached(Data, _signingTime));

        var (exitCode, status) = SigningKey.VerifyWithGpg(key.PublicKeyring, dir["SHA256SUMS"], dir["SHA256SUMS.gpg"]);

        Assert.True(exitCode == 0, status);
        Assert.Contains($"[GNUPG:] VALIDSIG {key.SigningFingerprint}", status, StringComparison.Ordinal);
    }

    [Fact]
    public void gpg_rejects_the_signature_over_other_data()
    {
        using var dir = new TempDirectory();
        var key = OpenPgpSigningKey.Parse(keys.Ed25519.ExportSecretKey(), "secret.gpg");
        File.WriteAllBytes(dir["SHA256SUMS"], [.. Data, (byte)'x']);
        File.WriteAllBytes(dir["SHA256SUMS.gpg"], key.SignDetached(Data, _signingTime));

        var (exitCode, status) = SigningKey.VerifyWithGpg(key.PublicKeyring, dir["SHA256SUMS"], dir["SHA256SUMS.gpg"]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("BADSIG", status, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa")]
    [InlineData("certify-only")]
    public void The_exported_keyring_holds_the_packets_gpg_exports(string name)
    {
        var gpg = keys.Get(name);
        var key = OpenPgpSigningKey.Parse(gpg.ExportSecretKey(), "secret.gpg");

        // Header formats may differ (gpg writes old-format headers); tags and bodies must not.
        Assert.Equal(Packets(gpg.ExportPublicKey()), Packets(key.PublicKeyring));
    }

    [Fact]
    public void A_signing_subkey_signs_rather_than_a_certify_only_primary()
    {
        var key = OpenPgpSigningKey.Parse(keys.CertifyOnly.ExportSecretKey(), "secret.gpg");

        var result = new OpenPgpSignatureVerifier().VerifyDetached(Data, key.SignDetached(Data, _signingTime), Keyring.Parse(key.PublicKeyring, "exported"));

        Assert.Equal(keys.SigningSubkeyFingerprint, key.SigningFingerprint);
        Assert.Equal(keys.SigningSubkeyFingerprint, result.SigningKeyFingerprint);
        Assert.Equal(keys.CertifyOnly.Fingerprint, result.PrimaryKeyFingerprint);
    }

    [Fact]
    public void A_subkey_export_without_the_primary_secret_signs_with_the_subkey()
    {
        var key = OpenPgpSigningKey.Parse(keys.CertifyOnly.ExportSecretSubkeys(), "subkeys.gpg");

        var result = new OpenPgpSignatureVerifier().VerifyDetached(Data, key.SignDetached(Data, _signingTime), Keyring.Parse(key.PublicKeyring, "exported"));

        Assert.Equal(keys.SigningSubkeyFingerprint, result.SigningKeyFingerprint);
    }

    [Fact]
    public void A_primary_stub_without_a_signing_subkey_is_refused()
    {
        var e = Assert.Throws<SigningKeyException>(() => OpenPgpSigningKey.Parse(keys.Ed25519.ExportSecretSubkeys(), "stub.gpg"));

        Assert.Contains("stub.gpg has no key that can sign here", e.Message, StringComparison.Ordinal);
        Assert.Contains("a gpg stub", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa")]
    public void Signing_at_the_same_time_gives_the_same_bytes(string name)
    {
        var key = OpenPgpSigningKey.Parse(keys.Get(name).ExportSecretKey(), "secret.gpg");
        var time = DateTimeOffset.FromUnixTimeSeconds(_signingTime.ToUnixTimeSeconds());

        Assert.Equal(key.SignDetached(Data, time), key.SignDetached(Data, time));
    }

    [Fact]
    public void A_passphrase_protected_key_is_refused_with_advice()
    {
        var export = keys.Protected.ExportSecretKey();

        var e = Assert.Throws<SigningKeyException>(() => OpenPgpSigningKey.Parse(export, "protected.gpg"));

        Assert.Contains("protected.gpg is protected by a passphrase", e.Message, StringComparison.Ordinal);
        Assert.Contains("gpg --export-secret-keys", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_time_before_the_key_was_made_is_refused()
    {
        var key = OpenPgpSigningKey.Parse(keys.Ed25519.ExportSecretKey(), "secret.gpg");

        var e = Assert.Throws<SigningKeyException>(() => key.SignDetached(Data, DateTimeOffset.FromUnixTimeSeconds(1_000_000)));

        Assert.Contains("SOURCE_DATE_EPOCH", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "empty", "secret.gpg is empty" },
        { "text", "is neither binary OpenPGP data nor holds a \"-----BEGIN PGP PRIVATE KEY BLOCK-----\" block" },
        { "public-binary", "holds a public key, not a secret one" },
        { "public-armored", "holds an armored \"-----BEGIN PGP PUBLIC KEY BLOCK-----\" block" },
        { "truncated", "is truncated" },
        { "checksum", "fails its secret checksum" },
        { "two-keys", "holds 2 secret keys" },
        { "not-a-key", "does not start with a secret key packet" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_key_file_is_refused_naming_the_file(string kind, string fragment)
    {
        var secret = keys.Ed25519.ExportSecretKey();
        byte[] bytes = kind switch
        {
            "empty" => [],
            "text" => Encoding.ASCII.GetBytes("just some text\n"),
            "public-binary" => keys.Ed25519.PublicKeyring,
            "public-armored" => keys.Ed25519.ArmoredPublicKeyring,
            "truncated" => secret[..(secret.Length / 2)],
            "checksum" => Corrupt(secret),
            "two-keys" => [.. secret, .. keys.Rsa.ExportSecretKey()],
            "not-a-key" => [0xcd, 0x03, 0x00, 0x00, 0x00],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var e = Assert.Throws<SigningKeyException>(() => OpenPgpSigningKey.Parse(bytes, "secret.gpg"));

        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.Contains("secret.gpg", e.Message, StringComparison.Ordinal);
        Assert.Equal("secret.gpg", e.Origin);
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa")]
    public void Damaged_exports_end_in_a_signing_key_error_from_our_own_checks(string name)
    {
        var export = keys.Get(name).ExportSecretKey();
        var random = new Random(name.Length);
        for (var i = 0; i < 1000; i++)
        {
            var damaged = (byte[])export.Clone();
            damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
            if (i % 10 == 0)
            {
                damaged = damaged[..random.Next(damaged.Length)];
            }

            try
            {
                OpenPgpSigningKey.Parse(damaged, "fuzz.gpg");
            }
            catch (SigningKeyException e)
            {
                // Our own checks, not the safety net for whatever a library throws.
                Assert.True(e.InnerException is null or ImageUpdate.Foundation.Errors.VerificationException, $"mutation {i}: {e.InnerException}");
            }
        }
    }

    [Fact]
    public void Load_names_a_missing_file()
    {
        var e = Assert.Throws<SigningKeyException>(() => OpenPgpSigningKey.Load("/nonexistent/secret.gpg"));

        Assert.Contains("Cannot read signing key /nonexistent/secret.gpg", e.Message, StringComparison.Ordinal);
    }

    // Flips a byte of the Ed25519 secret MPI, which ends two bytes (the checksum) before the packet does.
    private static byte[] Corrupt(byte[] export)
    {
        var copy = (byte[])export.Clone();
        var end = FirstBodyOffset(copy) + PgpPacket.Split(copy, "export", out _)[0].Body.Length;
        copy[end - 5] ^= 0x01;
        return copy;
    }

    private static int FirstBodyOffset(byte[] export)
    {
        // Old-format (gpg) or new-format header of the first packet.
        if ((export[0] & 0x40) != 0)
        {
            return export[1] < 192 ? 2 : export[1] < 224 ? 3 : 6;
        }

        return (export[0] & 0x03) switch { 0 => 2, 1 => 3, _ => 5 };
    }

    private static List<(int Tag, string Body)> Packets(byte[] keyring) =>
        [.. PgpPacket.Split(keyring, "keyring", out _)
            .Where(p => p.Tag is not (PacketTag.Trust or PacketTag.Marker))
            .Select(p => ((int)p.Tag, Convert.ToHexString(p.Body.Span)))];
}
