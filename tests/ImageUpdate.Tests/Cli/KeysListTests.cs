using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>`image-update keys list` shows what gpg itself says about the trusted keys.</summary>
public sealed class KeysListTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Each_key_shows_its_fingerprint_algorithm_user_id_and_expiry()
    {
        using var key = new SigningKey(userId: "Release Signing <release@example.org>", expiry: "2y");
        var fingerprint = key.Fingerprint;
        File.WriteAllBytes(_dir["keyring.asc"], key.ArmoredPublicKeyring);

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
