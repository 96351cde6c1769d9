using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Verification;

/// <summary>
/// A signature's key block (gpg --include-key-block): the subkeys it binds to a primary key the
/// keyring trusts are trusted too, as systemd 262's gpg merges them (--auto-key-import,
/// merge-only); a block never brings in a key of its own. Made by gpg, checked by ours.
/// </summary>
public sealed class KeyBlockTests
{
    private static (TempDirectory Dir, string Data, byte[] Signature) SignWithNewSubkey(SigningKey key, bool keyBlock)
    {
        var dir = new TempDirectory("image-update-keyblock-");
        var data = dir["SHA256SUMS"];
        File.WriteAllText(data, "0000000000000000000000000000000000000000000000000000000000000000  payload-1.raw\n");
        key.AddSubkey("ed25519", "sign");
        key.KeepOnlySubkeySecrets();
        if (keyBlock)
        {
            key.SignDetachedWithKeyBlock(data);
        }
        else
        {
            key.SignDetached(data);
        }

        return (dir, data, File.ReadAllBytes(data + ".gpg"));
    }

    [Fact]
    public void A_subkey_the_block_binds_to_a_trusted_primary_key_verifies()
    {
        using var key = new SigningKey();
        var trusted = Keyring.Parse(key.PublicKeyring, "trusted.pgp");
        var (dir, data, signature) = SignWithNewSubkey(key, keyBlock: true);
        using var _ = dir;

        var result = new OpenPgpSignatureVerifier().VerifyDetached(File.ReadAllBytes(data), signature, trusted);

        Assert.Equal(key.Fingerprint, result.PrimaryKeyFingerprint);
        Assert.NotEqual(result.PrimaryKeyFingerprint, result.SigningKeyFingerprint);
    }

    [Fact]
    public void Without_the_block_the_new_subkey_is_unknown()
    {
        using var key = new SigningKey();
        var trusted = Keyring.Parse(key.PublicKeyring, "trusted.pgp");
        var (dir, data, signature) = SignWithNewSubkey(key, keyBlock: false);
        using var _ = dir;

        var e = Assert.Throws<VerificationException>(() => new OpenPgpSignatureVerifier().VerifyDetached(File.ReadAllBytes(data), signature, trusted));
        Assert.StartsWith("The signature was made by unknown key ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_block_whose_primary_key_is_not_trusted_adds_nothing()
    {
        using var key = new SigningKey();
        using var other = new SigningKey(userId: "Other <other@example.org>");
        var trusted = Keyring.Parse(other.PublicKeyring, "trusted.pgp");
        var (dir, data, signature) = SignWithNewSubkey(key, keyBlock: true);
        using var _ = dir;

        var e = Assert.Throws<VerificationException>(() => new OpenPgpSignatureVerifier().VerifyDetached(File.ReadAllBytes(data), signature, trusted));
        Assert.EndsWith(", which is not in keyring trusted.pgp.", e.Message, StringComparison.Ordinal);
    }
}
