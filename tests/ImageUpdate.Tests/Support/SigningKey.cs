namespace ImageUpdate.Tests.Support;

/// <summary>A gpg-made signing key in a private GNUPGHOME, to sign manifests the way a publisher does.</summary>
public sealed class SigningKey : IDisposable
{
    private readonly TempDirectory _home = new("image-update-gpg-");
    private readonly string _passphrase;

    public SigningKey(string algorithm = "ed25519", string userId = "Test Publisher <publisher@example.org>", string expiry = "1y", string passphrase = "", string usage = "sign")
    {
        _passphrase = passphrase;
        File.SetUnixFileMode(_home.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Gpg("--quick-gen-key", userId, algorithm, usage, expiry);
        PublicKeyring = Gpg("--export");
        ArmoredPublicKeyring = Gpg("--armor", "--export");
        Fingerprint = System.Text.Encoding.ASCII.GetString(Gpg("--with-colons", "--list-keys"))
            .Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
    }

    /// <summary>The public key, binary, as `gpg --export` writes it.</summary>
    public byte[] PublicKeyring { get; }

    /// <summary>The public key, ASCII-armored.</summary>
    public byte[] ArmoredPublicKeyring { get; }

    /// <summary>The primary key's fingerprint as gpg prints it (40 upper-case hex digits).</summary>
    public string Fingerprint { get; }

    /// <summary>The secret key as `gpg --export-secret-keys [--armor]` writes it (protected when the key has a passphrase).</summary>
    public byte[] ExportSecretKey(bool armor = false) => armor ? Gpg("--armor", "--export-secret-keys") : Gpg("--export-secret-keys");

    /// <summary>`gpg --export-secret-subkeys`: the primary key's secret replaced by a GNU stub.</summary>
    public byte[] ExportSecretSubkeys() => Gpg("--export-secret-subkeys");

    /// <summary>The public key as `gpg --export` writes it now (after any <see cref="AddSubkey"/>).</summary>
    public byte[] ExportPublicKey() => Gpg("--export");

    /// <summary>Adds a subkey (`gpg --quick-add-key`) and returns its fingerprint.</summary>
    public string AddSubkey(string algorithm, string usage)
    {
        Gpg("--quick-add-key", Fingerprint, algorithm, usage, "1y");
        return System.Text.Encoding.ASCII.GetString(Gpg("--with-colons", "--list-keys"))
            .Split('\n').Where(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Last().Split(':')[9];
    }

    /// <summary>
    /// Runs `gpg --verify` in a fresh GNUPGHOME that trusts only <paramref name="keyring"/> and returns
    /// gpg's exit code and its machine-readable status lines.
    /// </summary>
    public static (int ExitCode, string Status) VerifyWithGpg(byte[] keyring, string data, string signature)
    {
        using var home = new TempDirectory("image-update-gpgv-");
        File.SetUnixFileMode(home.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var keyringPath = home["trusted.gpg"];
        File.WriteAllBytes(keyringPath, keyring);
        var result = TestProcess.Run("gpg", ["--homedir", home.Path, "--batch", "--no-default-keyring", "--keyring", keyringPath, "--trust-model", "always", "--status-fd", "2", "--verify", signature, data]);
        return (result.ExitCode, result.Stderr);
    }

    /// <summary>Writes NAME.gpg, a binary detached signature of the file.</summary>
    public void SignDetached(string file, string? signature = null) =>
        Gpg("--yes", "--output", signature ?? file + ".gpg", "--detach-sign", file);

    /// <summary>Writes NAME.gpg with the signer's public key block embedded (`--include-key-block`, as TEST-72 of 262 signs).</summary>
    public void SignDetachedWithKeyBlock(string file, string? signature = null) =>
        Gpg("--yes", "--include-key-block", "--output", signature ?? file + ".gpg", "--detach-sign", file);

    /// <summary>Drops the primary key's secret so that only the subkeys can sign (TEST-72's sub key case).</summary>
    public void KeepOnlySubkeySecrets()
    {
        var subkeys = ExportSecretSubkeys();
        Gpg("--yes", "--delete-secret-keys", Fingerprint);
        var path = _home["subkeys.gpg"];
        File.WriteAllBytes(path, subkeys);
        Gpg("--import", path);
    }

    private byte[] Gpg(params string[] args)
    {
        using var output = new MemoryStream();
        var result = TestProcess.Run("gpg", ["--homedir", _home.Path, "--batch", "--pinentry-mode", "loopback", "--passphrase", _passphrase, .. args], standardOutputTo: output);
        return result.ExitCode == 0 ? output.ToArray() : throw new InvalidOperationException($"gpg {string.Join(' ', args)}: {result.Stderr}");
    }

    public void Dispose() => _home.Dispose();
}
