using System.Diagnostics;

namespace ImageUpdate.Tests.Support;

/// <summary>A gpg-made signing key in a private GNUPGHOME, to sign manifests the way a publisher does.</summary>
public sealed class SigningKey : IDisposable
{
    private readonly TempDirectory _home = new("image-update-gpg-");

    public SigningKey(string algorithm = "ed25519", string userId = "Test Publisher <publisher@example.org>", string expiry = "1y")
    {
        File.SetUnixFileMode(_home.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Gpg("--quick-gen-key", userId, algorithm, "sign", expiry);
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

    /// <summary>Writes NAME.gpg, a binary detached signature of the file.</summary>
    public void SignDetached(string file, string? signature = null) =>
        Gpg("--yes", "--output", signature ?? file + ".gpg", "--detach-sign", file);

    private byte[] Gpg(params string[] args)
    {
        var start = new ProcessStartInfo("gpg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--homedir", _home.Path, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", .. args])
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var output = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(output);
        var err = p.StandardError.ReadToEnd();
        copy.Wait();
        p.WaitForExit();
        return p.ExitCode == 0 ? output.ToArray() : throw new InvalidOperationException($"gpg {string.Join(' ', args)}: {err}");
    }

    public void Dispose() => _home.Dispose();
}
