using System.Globalization;
using System.Text;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Verification;

/// <summary>
/// Real keys and signatures made by gpg (the oracle) once per test run, in a private GNUPGHOME.
/// Every artefact is made by the commands written here, so the fixture is its own record of how.
/// Needs the Debian package gnupg (gpg 2.2 makes EdDSA keys with algorithm 22).
/// </summary>
public sealed class GpgFixture : IDisposable
{
    private readonly Dictionary<string, string> _fingerprints = new(StringComparer.Ordinal);

    public GpgFixture()
    {
        Home = Directory.CreateTempSubdirectory("image-update-gpg-").FullName;
        var dataFile = Path.Join(Home, "SHA256SUMS");
        File.WriteAllBytes(dataFile, Data);

        Generate("rsa", "rsa3072", "sign", "1y");
        // gpg's default shape for new ECC keys: an ed25519 primary that signs and a cv25519 subkey.
        Generate("ed", "future-default", "default", "1y");
        // A primary that only certifies, with a separate ed25519 signing subkey.
        Generate("sub", "ed25519", "cert", "1y");
        Gpg("--quick-add-key", Fingerprint("sub"), "ed25519", "sign", "1y");
        Generate("weak", "rsa1024", "sign", "1y");
        Generate("nist", "nistp256", "sign", "1y");
        Generate("revoked", "ed25519", "sign", "1y");
        Generate("stranger", "ed25519", "sign", "1y");
        Generate("old", "ed25519", "sign", "1d", "--faked-system-time", "20200101T000000!");
        Generate("never", "ed25519", "sign", "never", "--faked-system-time", "20200101T000000!");

        RsaSignature = Sign("rsa");
        RsaArmoredSignature = Sign("rsa", "--armor");
        RsaTextSignature = Sign("rsa", "--textmode");
        RsaSha1Signature = Sign("rsa", "--digest-algo", "SHA1");
        RsaSha512Signature = Sign("rsa", "--digest-algo", "SHA512");
        EdSignature = Sign("ed");
        EdArmoredSignature = Sign("ed", "--armor");
        EdMd5Signature = Sign("ed", "--digest-algo", "MD5");
        SubkeySignature = Sign("sub");
        WeakSignature = Sign("weak");
        NistSignature = Sign("nist");
        RevokedSignature = Sign("revoked");
        StrangerSignature = Sign("stranger");
        ExpiredKeySignature = Sign("old", "--faked-system-time", "20200101T010000!");
        ExpiredSignature = Sign("never", "--faked-system-time", "20200102T000000!", "--default-sig-expire", "1d");
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyyMMdd'T'HHmmss'!'", CultureInfo.InvariantCulture);
        FutureSignature = Sign("ed", "--faked-system-time", tomorrow);

        // gpg stores a revocation certificate for every new key, its armor guarded by a leading ':'.
        var certificate = File.ReadAllText(Path.Join(Home, "openpgp-revocs.d", Fingerprint("revoked") + ".rev"))
            .Replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----", StringComparison.Ordinal);
        File.WriteAllText(Path.Join(Home, "revocation.asc"), certificate);
        Gpg("--import", Path.Join(Home, "revocation.asc"));

        Keyring = Gpg(["--export", .. KeyringMembers.Select(Fingerprint)]);
        ArmoredKeyring = Gpg(["--export", "--armor", .. KeyringMembers.Select(Fingerprint)]);
        ConcatenatedArmoredKeyring = [.. Gpg("--export", "--armor", Fingerprint("rsa")), .. Gpg("--export", "--armor", Fingerprint("ed"))];
        EdKey = Gpg("--export", Fingerprint("ed"));
        RsaKey = Gpg("--export", Fingerprint("rsa"));
        NistKey = Gpg("--export", Fingerprint("nist"));
    }

    /// <summary>The keys exported into <see cref="Keyring"/>: everything except "stranger".</summary>
    public static readonly string[] KeyringMembers = ["rsa", "ed", "sub", "weak", "nist", "revoked", "old", "never"];

    public string Home { get; }

    public byte[] Data { get; } = Encoding.UTF8.GetBytes(
        "0f343b0931126a20f133d67c2b018a3b5e7e5b5e2d3b4b2b8f9a39e43f1e4b7a  part-1.raw.xz\n" +
        "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90 *part-2.raw.xz\n");

    public byte[] Keyring { get; }

    public byte[] ArmoredKeyring { get; }

    public byte[] ConcatenatedArmoredKeyring { get; }

    public byte[] EdKey { get; }

    public byte[] RsaKey { get; }

    public byte[] NistKey { get; }

    public byte[] RsaSignature { get; }

    public byte[] RsaArmoredSignature { get; }

    public byte[] RsaTextSignature { get; }

    public byte[] RsaSha1Signature { get; }

    public byte[] RsaSha512Signature { get; }

    public byte[] EdSignature { get; }

    public byte[] EdArmoredSignature { get; }

    public byte[] EdMd5Signature { get; }

    public byte[] SubkeySignature { get; }

    public byte[] WeakSignature { get; }

    public byte[] NistSignature { get; }

    public byte[] RevokedSignature { get; }

    public byte[] StrangerSignature { get; }

    public byte[] ExpiredKeySignature { get; }

    public byte[] ExpiredSignature { get; }

    public byte[] FutureSignature { get; }

    /// <summary>The primary key fingerprint of a generated key, as gpg prints it.</summary>
    public string Fingerprint(string name) => _fingerprints[name];

    /// <summary>The fingerprint of the (first) signing subkey of a generated key.</summary>
    public string SigningSubkeyFingerprint(string name)
    {
        var colons = Encoding.UTF8.GetString(Gpg("--with-colons", "--list-keys", Fingerprint(name))).Split('\n');
        for (var i = 0; i < colons.Length; i++)
        {
            var fields = colons[i].Split(':');
            if (fields[0] == "sub" && fields[11].Contains('s', StringComparison.Ordinal))
            {
                return colons[i + 1].Split(':')[9];
            }
        }

        throw new InvalidOperationException($"gpg lists no signing subkey for {name}.");
    }

    public byte[] Gpg(params string[] arguments)
    {
        using var output = new MemoryStream();
        var result = TestProcess.Run(
            "gpg",
            ["--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", .. arguments],
            new Dictionary<string, string?> { ["GNUPGHOME"] = Home },
            standardOutputTo: output);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"gpg {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Stderr}");
        }

        return output.ToArray();
    }

    public void Dispose()
    {
        try
        {
            TestProcess.Run("gpgconf", ["--kill", "gpg-agent"], new Dictionary<string, string?> { ["GNUPGHOME"] = Home });
        }
        finally
        {
            Directory.Delete(Home, recursive: true);
        }
    }

    private void Generate(string name, string algorithm, string usage, string expire, params string[] options)
    {
        var userId = $"{char.ToUpperInvariant(name[0])}{name[1..]} Test <{name}@example.org>";
        Gpg([.. options, "--quick-gen-key", userId, algorithm, usage, expire]);
        var colons = Encoding.UTF8.GetString(Gpg("--with-colons", "--list-keys", $"<{name}@example.org>")).Split('\n');
        _fingerprints[name] = colons.First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
    }

    private byte[] Sign(string name, params string[] options) =>
        Gpg([.. options, "--local-user", Fingerprint(name), "--detach-sign", "--output", "-", Path.Join(Home, "SHA256SUMS")]);
}
