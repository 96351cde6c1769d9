using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Verification.Signing;

/// <summary>
/// Keys made once per test class by real gpg (2.2: Ed25519 as legacy EdDSA, algorithm 22), each in
/// its own GNUPGHOME: the commands in <see cref="SigningKey"/> are the record of how.
/// </summary>
public sealed class SigningKeys : IDisposable
{
    public SigningKey Ed25519 { get; } = new("ed25519");

    public SigningKey Rsa { get; } = new("rsa2048");

    /// <summary>gpg's default ECC shape: an ed25519 primary that signs and certifies, a cv25519 encryption subkey.</summary>
    public SigningKey EdWithEncryptionSubkey { get; } = new("future-default", usage: "default");

    /// <summary>A certify-only ed25519 primary with an ed25519 signing subkey.</summary>
    public SigningKey CertifyOnly { get; } = new("ed25519", usage: "cert");

    public SigningKey Protected { get; } = new("ed25519", passphrase: "correct horse");

    public SigningKeys()
    {
        SigningSubkeyFingerprint = CertifyOnly.AddSubkey("ed25519", "sign");
    }

    public string SigningSubkeyFingerprint { get; }

    public SigningKey Get(string name) => name switch
    {
        "ed25519" => Ed25519,
        "rsa" => Rsa,
        "ed-default" => EdWithEncryptionSubkey,
        "certify-only" => CertifyOnly,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    public void Dispose()
    {
        Ed25519.Dispose();
        Rsa.Dispose();
        EdWithEncryptionSubkey.Dispose();
        CertifyOnly.Dispose();
        Protected.Dispose();
    }
}
