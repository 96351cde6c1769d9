using System.Diagnostics;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>`image-update keys list` shows what gpg itself says about the trusted keys.</summary>
public sealed class KeysListTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Gpg(params string[] args)
    {
        var start = new ProcessStartInfo("gpg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--homedir", _dir["gnupg"], "--batch", "--pinentry-mode", "loopback", "--passphrase", "", .. args])
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        return stdout;
    }

    [Fact]
    public async Task Each_key_shows_its_fingerprint_algorithm_user_id_and_expiry()
    {
        Directory.CreateDirectory(_dir["gnupg"]);
        File.SetUnixFileMode(_dir["gnupg"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Gpg("--quick-gen-key", "Release Signing <release@example.org>", "ed25519", "sign", "2y");
        var fingerprint = Gpg("--with-colons", "--list-keys").Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
        File.WriteAllText(_dir["keyring.asc"], Gpg("--armor", "--export"));

        var text = await ImageUpdateProcess.RunAsync(null, "--keyring", _dir["keyring.asc"], "keys", "list");

        Assert.True(text.ExitCode == 0, text.ToString());
        var row = text.Stdout.Split('\n').Single(l => l.StartsWith(fingerprint, StringComparison.Ordinal));
        Assert.Contains("ed25519", row);
        Assert.Contains("Release Signing <release@example.org>", row);
        Assert.Contains(DateTime.UtcNow.AddYears(2).ToString("yyyy-"), row);
        Assert.Contains("1 keys in", text.Stdout);

        var json = await ImageUpdateProcess.RunAsync(null, "--keyring", _dir["keyring.asc"], "--json=short", "keys", "list");
        Assert.Contains($"\"fingerprint\":\"{fingerprint}\"", json.Stdout);
    }

    [Fact]
    public async Task Without_any_keyring_the_error_names_the_places_looked_at()
    {
        Directory.CreateDirectory(_dir["root/etc"]);

        var result = await ImageUpdateProcess.RunAsync(null, "--root", _dir["root"], "keys", "list");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/etc/systemd/import-pubring.pgp", result.Stderr);
        Assert.Contains("--keyring", result.Stderr);
    }
}
