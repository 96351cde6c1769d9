using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Tests.Formats.Verification;

[Collection(GpgCollection.Name)]
public sealed class OpenPgpSignatureVerifierTests(GpgFixture gpg)
{
    private readonly OpenPgpSignatureVerifier _verifier = new();

    private Keyring TrustedKeys => Keyring.Parse(gpg.Keyring, "test-keyring.pgp");

    public static TheoryData<string, string> GoodSignatures => new()
    {
        { nameof(GpgFixture.RsaSignature), "rsa" },
        { nameof(GpgFixture.RsaArmoredSignature), "rsa" },
        { nameof(GpgFixture.RsaTextSignature), "rsa" },
        { nameof(GpgFixture.RsaSha512Signature), "rsa" },
        { nameof(GpgFixture.EdSignature), "ed" },
        { nameof(GpgFixture.EdArmoredSignature), "ed" },
    };

    [Theory]
    [MemberData(nameof(GoodSignatures))]
    public void VerifyDetached_accepts_a_gpg_signature_and_names_the_key(string signature, string signer)
    {
        var result = _verifier.VerifyDetached(gpg.Data, Signature(signature), TrustedKeys);

        Assert.Equal(gpg.Fingerprint(signer), result.SigningKeyFingerprint);
        Assert.Equal(gpg.Fingerprint(signer), result.PrimaryKeyFingerprint);
        Assert.InRange(result.Created, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public void VerifyDetached_accepts_a_signature_by_a_signing_subkey()
    {
        var result = _verifier.VerifyDetached(gpg.Data, gpg.SubkeySignature, TrustedKeys);

        Assert.Equal(gpg.SigningSubkeyFingerprint("sub"), result.SigningKeyFingerprint);
        Assert.Equal(gpg.Fingerprint("sub"), result.PrimaryKeyFingerprint);
        Assert.NotEqual(result.PrimaryKeyFingerprint, result.SigningKeyFingerprint);
    }

    [Theory]
    [InlineData(nameof(GpgFixture.RsaSignature))]
    [InlineData(nameof(GpgFixture.EdSignature))]
    [InlineData(nameof(GpgFixture.SubkeySignature))]
    public void VerifyDetached_works_with_an_armored_and_a_concatenated_keyring(string signature)
    {
        var armored = Keyring.Parse(gpg.ArmoredKeyring, "armored.asc");

        Assert.NotNull(_verifier.VerifyDetached(gpg.Data, Signature(signature), armored));
        if (signature != nameof(GpgFixture.SubkeySignature))
        {
            Assert.NotNull(_verifier.VerifyDetached(gpg.Data, Signature(signature), Keyring.Parse(gpg.ConcatenatedArmoredKeyring, "two.asc")));
        }
    }

    [Fact]
    public void VerifyDetached_checks_a_text_signature_over_crlf_line_endings()
    {
        // gpg --textmode hashed the LF data as CR LF; the same data with CR LF must verify too.
        var crlf = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(gpg.Data).Replace("\n", "\r\n"));

        Assert.NotNull(_verifier.VerifyDetached(crlf, gpg.RsaTextSignature, TrustedKeys));
        Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(crlf, gpg.RsaSignature, TrustedKeys));
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ed")]
    public void VerifyDetached_hashes_a_bare_cr_in_a_text_signature_as_gpg_does(string signer)
    {
        // RFC 4880 §5.2.1 canonicalises line endings to CR LF; gpg takes only LF as a line ending
        // and hashes a bare CR as it is. Its text signature over such data verifies; the same data
        // with the bare CR made CR LF does not, for gpg (checked by hand) or for us.
        var home = gpg.Home;
        var file = Path.Join(home, $"bare-cr-{signer}.txt");
        byte[] data = [.. "a\rb\nc\r\nd\n"u8];
        File.WriteAllBytes(file, data);
        var signature = gpg.Gpg("--textmode", "--detach-sign", "--local-user", gpg.Fingerprint(signer), "--output", "-", file);

        Assert.Equal(gpg.Fingerprint(signer), _verifier.VerifyDetached(data, signature, TrustedKeys).PrimaryKeyFingerprint);
        Assert.Equal(gpg.Fingerprint(signer), _verifier.VerifyDetached([.. "a\rb\r\nc\r\nd\r\n"u8], signature, TrustedKeys).PrimaryKeyFingerprint);
        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached([.. "a\r\nb\nc\r\nd\n"u8], signature, TrustedKeys));
        Assert.Contains("does not match the data", e.Message);
    }

    public static TheoryData<string, string> RefusedSignatures => new()
    {
        { nameof(GpgFixture.RsaSha1Signature), "uses the SHA-1 hash, which is refused; only SHA-256, SHA-384 and SHA-512 are accepted" },
        { nameof(GpgFixture.EdMd5Signature), "uses the MD5 hash, which is refused" },
        { nameof(GpgFixture.WeakSignature), "a 1024-bit RSA key; only 2048 to 4096 bits are accepted" },
        { nameof(GpgFixture.NistSignature), "which the keyring holds but cannot use: Key " },
        { nameof(GpgFixture.RevokedSignature), "which has been revoked" },
        { nameof(GpgFixture.ExpiredKeySignature), "which expired on 2020-01-02 00:00:00 UTC" },
        { nameof(GpgFixture.ExpiredSignature), "The signature expired on 2020-01-03 00:00:00 UTC" },
        { nameof(GpgFixture.FutureSignature), "The signature was made in the future" },
        { nameof(GpgFixture.StrangerSignature), "was made by unknown key " },
    };

    [Theory]
    [MemberData(nameof(RefusedSignatures))]
    public void VerifyDetached_refuses_by_policy(string signature, string fragment)
    {
        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(gpg.Data, Signature(signature), TrustedKeys));

        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void VerifyDetached_names_the_unknown_key_and_the_keyring()
    {
        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(gpg.Data, gpg.StrangerSignature, TrustedKeys));

        Assert.Equal($"The signature was made by unknown key {gpg.Fingerprint("stranger")}, which is not in keyring test-keyring.pgp.", e.Message);
    }

    [Fact]
    public void VerifyDetached_names_the_unsupported_algorithm_of_a_key_in_the_keyring()
    {
        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(gpg.Data, gpg.NistSignature, TrustedKeys));

        Assert.Contains("ECDSA keys are not supported", e.Message);
    }

    [Theory]
    [InlineData(nameof(GpgFixture.RsaSignature), 0)]
    [InlineData(nameof(GpgFixture.RsaSignature), 120)]
    [InlineData(nameof(GpgFixture.EdSignature), 0)]
    [InlineData(nameof(GpgFixture.EdSignature), 150)]
    [InlineData(nameof(GpgFixture.SubkeySignature), 99)]
    [InlineData(nameof(GpgFixture.RsaTextSignature), 40)]
    public void VerifyDetached_refuses_altered_data(string signature, int offset)
    {
        var data = gpg.Data.ToArray();
        data[offset] ^= 0x01;

        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(data, Signature(signature), TrustedKeys));

        Assert.Contains("does not match the data: the data or the signature has been altered", e.Message);
    }

    [Theory]
    [InlineData(nameof(GpgFixture.RsaSignature))]
    [InlineData(nameof(GpgFixture.EdSignature))]
    public void VerifyDetached_refuses_an_altered_signature_value(string signature)
    {
        var bytes = Signature(signature).ToArray();
        bytes[^3] ^= 0x10;

        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(gpg.Data, bytes, TrustedKeys));

        Assert.Contains("does not match the data", e.Message);
    }

    [Theory]
    [InlineData(nameof(GpgFixture.RsaSignature))]
    [InlineData(nameof(GpgFixture.EdSignature))]
    [InlineData(nameof(GpgFixture.SubkeySignature))]
    [InlineData(nameof(GpgFixture.RsaTextSignature))]
    public void VerifyDetached_refuses_bytes_after_the_signature_value(string signature)
    {
        // BouncyCastle stops after the value's MPIs; bytes after them, inside the packet, would
        // leave a valid signature valid, so the same signature could be written many ways.
        var bytes = PacketSurgery.AppendToBody(Signature(signature).ToArray(), 2, 0x00, 0x08, 0xff);

        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(gpg.Data, bytes, TrustedKeys));

        Assert.Equal("The signature has 3 unexpected bytes at its end.", e.Message);
    }

    [Fact]
    public void VerifyDetached_refuses_an_altered_hashed_subpacket()
    {
        // The creation time sits in the hashed area: changing it must break the signature, not move time.
        var bytes = gpg.EdSignature.ToArray();
        // Old-format header (0x88, one length byte), then version, type, algorithms and the two-byte
        // hashed length: the hashed subpackets (one-byte lengths, as gpg writes them) start at 8.
        Assert.Equal(0x88, bytes[0]);
        var at = 8;
        while (bytes[at + 1] != 2)
        {
            at += 1 + bytes[at];
        }

        // Two seconds later: still within the clock skew, and never before the key's creation (a
        // signature made in the key's first second would otherwise be refused as predating the key).
        var created = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at + 2));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at + 2), created + 2);

        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(gpg.Data, bytes, TrustedKeys));

        Assert.Contains("does not match the data", e.Message);
    }

    [Fact]
    public void VerifyDetached_refuses_a_key_that_is_not_in_this_keyring()
    {
        var rsaOnly = Keyring.Parse(gpg.RsaKey, "rsa.pgp");

        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(gpg.Data, gpg.EdSignature, rsaOnly));

        Assert.Contains($"unknown key {gpg.Fingerprint("ed")}, which is not in keyring rsa.pgp", e.Message);
    }

    [Fact]
    public void VerifyDetached_honours_an_injected_clock()
    {
        // A year and a day on, every generated key has expired.
        var later = new OpenPgpSignatureVerifier(new FixedTime(DateTimeOffset.UtcNow.AddDays(367)));

        var e = Assert.Throws<VerificationException>(() => later.VerifyDetached(gpg.Data, gpg.EdSignature, TrustedKeys));

        Assert.Contains($"key {gpg.Fingerprint("ed")}, which expired on", e.Message);
    }

    [Theory]
    [InlineData(new byte[0], "The signature file is empty.")]
    [InlineData(new byte[] { 0x41, 0x42 }, "is neither binary OpenPGP data nor holds a \"-----BEGIN PGP SIGNATURE-----\" block")]
    [InlineData(new byte[] { 0x88, 0x05, 0x04 }, "is truncated")]
    [InlineData(new byte[] { 0x89 }, "is truncated")]
    [InlineData(new byte[] { 0xb4, 0x01, 0x41 }, "holds a packet of type 13 where only signatures belong")]
    [InlineData(new byte[] { 0xa8, 0x03, 0x50, 0x47, 0x50 }, "holds no signature")]
    [InlineData(new byte[] { 0xc2, 0xe0 }, "uses a partial body length")]
    [InlineData(new byte[] { 0x8b }, "uses an indeterminate packet length")]
    [InlineData(new byte[] { 0x88, 0x01, 0x03 }, "is a version 3 signature")]
    public void VerifyDetached_refuses_malformed_signature_files(byte[] signature, string fragment)
    {
        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(gpg.Data, signature, TrustedKeys));

        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void VerifyDetached_refuses_an_armored_block_of_the_wrong_kind()
    {
        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(gpg.Data, gpg.ArmoredKeyring, TrustedKeys));

        Assert.Contains("holds an armored \"-----BEGIN PGP PUBLIC KEY BLOCK-----\" block where \"-----BEGIN PGP SIGNATURE-----\" is expected", e.Message);
    }

    [Fact]
    public void VerifyDetached_refuses_armor_with_a_bad_checksum()
    {
        var text = System.Text.Encoding.ASCII.GetString(gpg.EdArmoredSignature);
        var lines = text.Split('\n');
        var checksum = Array.FindIndex(lines, l => l.StartsWith('='));
        lines[checksum] = lines[checksum][1] == 'A' ? "=B" + lines[checksum][2..] : "=A" + lines[checksum][2..];

        var e = Assert.Throws<VerificationException>(() => _verifier.VerifyDetached(gpg.Data, System.Text.Encoding.ASCII.GetBytes(string.Join('\n', lines)), TrustedKeys));

        Assert.Contains("fails its armor checksum", e.Message);
    }

    [Fact]
    public void VerifyDetached_accepts_when_one_of_several_signatures_is_by_a_trusted_key()
    {
        byte[] both = [.. gpg.StrangerSignature, .. gpg.RsaSignature];

        Assert.Equal(gpg.Fingerprint("rsa"), _verifier.VerifyDetached(gpg.Data, both, TrustedKeys).SigningKeyFingerprint);
    }

    private byte[] Signature(string name) => (byte[])typeof(GpgFixture).GetProperty(name)!.GetValue(gpg)!;

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
