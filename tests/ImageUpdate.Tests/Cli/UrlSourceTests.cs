using System.Security.Cryptography;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// url-file and url-tar sources over file:// with a signed SHA256SUMS: verification before
/// parsing, hash checks while writing, partial copies after a mismatch (TEST-72 step 14), and
/// BEST-BEFORE (step 12).
/// </summary>
public sealed class UrlSourceTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SigningKey _key = new();

    public UrlSourceTests()
    {
        Directory.CreateDirectory(Server);
        Directory.CreateDirectory(_dir["defs"]);
        File.WriteAllBytes(_dir["keyring.gpg"], _key.PublicKeyring);
        File.WriteAllText(_dir["defs/10-app.transfer"], $"""
            [Source]
            Type=url-file
            Path=file://{Server}
            MatchPattern=app_@v.bin.gz

            [Target]
            Type=regular-file
            Path={_dir["target"]}
            MatchPattern=app_@v.bin
            """);
        File.WriteAllText(_dir["defs/20-tree.transfer"], $"""
            [Source]
            Type=url-tar
            Path=file://{Server}
            MatchPattern=tree_@v.tar.gz

            [Target]
            Type=directory
            Path={_dir["trees"]}
            MatchPattern=tree_@v
            """);
    }

    private string Server => _dir["server"];

    public void Dispose()
    {
        _dir.Dispose();
        _key.Dispose();
    }

    private byte[] Publish(string version, params string[] extraManifestLines)
    {
        var payload = RandomNumberGenerator.GetBytes(100_000);
        File.WriteAllBytes(_dir[$"payload_{version}"], payload);
        Test72Scenario.Run("sh", "-c", $"gzip -c '{_dir[$"payload_{version}"]}' > '{Server}/app_{version}.bin.gz'");
        var tree = Directory.CreateDirectory(_dir[$"tree-src-{version}"]).FullName;
        File.WriteAllText(Path.Combine(tree, "version"), version);
        Test72Scenario.Run("tar", "-C", tree, "-czf", Path.Combine(Server, $"tree_{version}.tar.gz"), ".");
        WriteManifest(extraManifestLines);
        return payload;
    }

    private void WriteManifest(params string[] extraLines)
    {
        var lines = Directory.GetFiles(Server)
            .Where(f => !Path.GetFileName(f).StartsWith("SHA256SUMS", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => $"{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))}  {Path.GetFileName(f)}")
            .Concat(extraLines);
        File.WriteAllText(Path.Combine(Server, "SHA256SUMS"), string.Join("\n", lines) + "\n");
        _key.SignDetached(Path.Combine(Server, "SHA256SUMS"));
    }

    private Task<RunResult> Run(IReadOnlyDictionary<string, string?>? env, params string[] args) =>
        ImageUpdateProcess.RunAsync(env, ["--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], .. args]);

    private Task<RunResult> Run(params string[] args) => Run(null, args);

    [Fact]
    public async Task A_signed_manifest_installs_the_newest_version_decompressed_and_unpacked()
    {
        Publish("1");
        var payload = Publish("2");

        Assert.Equal("2\n", (await Run("check-new")).Stdout);
        var available = await Run("--json=short", "list", "2");
        Assert.Contains($"\"sha256\":\"{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Server, "app_2.bin.gz"))))}\"", available.Stdout);
        var update = await Run("update");

        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal(payload, File.ReadAllBytes(_dir["target/app_2.bin"]));
        Assert.Equal("2", File.ReadAllText(_dir["trees/tree_2/version"]));
        Assert.Equal(1, (await Run("check-new")).ExitCode);
    }

    [Fact]
    public async Task Without_a_signature_nothing_is_installed()
    {
        Publish("1");
        File.Delete(Path.Combine(Server, "SHA256SUMS.gpg"));

        var update = await Run("update");

        Assert.Equal(1, update.ExitCode);
        Assert.Contains("No signature", update.Stderr);
        Assert.False(Directory.Exists(_dir["target"]));
    }

    [Fact]
    public async Task A_signature_by_a_key_outside_the_keyring_is_refused()
    {
        Publish("1");
        using var stranger = new SigningKey(userId: "Stranger <s@example.org>");
        stranger.SignDetached(Path.Combine(Server, "SHA256SUMS"));

        var update = await Run("update");

        Assert.Equal(1, update.ExitCode);
        Assert.Contains("unknown key", update.Stderr);
        Assert.False(Directory.Exists(_dir["target"]));
    }

    [Fact]
    public async Task A_tampered_manifest_is_refused_before_it_is_parsed()
    {
        Publish("1");
        File.AppendAllText(Path.Combine(Server, "SHA256SUMS"), new string('0', 64) + "  app_9.bin.gz\n");

        var update = await Run("update");

        Assert.Equal(1, update.ExitCode);
        Assert.False(Directory.Exists(_dir["target"]));
    }

    [Fact]
    public async Task A_payload_that_does_not_match_stays_partial_until_vacuumed()
    {
        Publish("1");
        Assert.Equal(0, (await Run("update")).ExitCode);
        Publish("2");
        File.WriteAllBytes(Path.Combine(Server, "app_2.bin.gz"), RandomNumberGenerator.GetBytes(1000)); // tampered after signing

        var failed = await Run("update");
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("SHA-256", failed.Stderr);
        Assert.False(File.Exists(_dir["target/app_2.bin"]));
        Assert.Contains("partial", (await Run("--offline", "list", "2")).Stdout);

        var retry = await Run("update");
        Assert.Equal(1, retry.ExitCode);
        Assert.Contains("Vacuum it to try installing again", retry.Stderr);

        var vacuum = await Run("--offline", "vacuum");
        Assert.True(vacuum.ExitCode == 0, vacuum.ToString());
        Assert.Contains("Removing old partial", vacuum.Stderr);

        var payload = Publish("2");
        var fixedUpdate = await Run("update");
        Assert.True(fixedUpdate.ExitCode == 0, fixedUpdate.ToString());
        Assert.Equal(payload, File.ReadAllBytes(_dir["target/app_2.bin"]));
    }

    [Fact]
    public async Task A_past_best_before_date_is_refused_unless_freshness_checks_are_off()
    {
        var empty = Convert.ToHexStringLower(SHA256.HashData([]));
        Publish("1", $"{empty}  BEST-BEFORE-{DateTime.UtcNow.AddDays(-1):yyyy-MM-dd}");

        var stale = await Run("update");
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("best-before", stale.Stderr);

        var forced = await Run(new Dictionary<string, string?> { ["SYSTEMD_SYSUPDATE_VERIFY_FRESHNESS"] = "0" }, "update");
        Assert.True(forced.ExitCode == 0, forced.ToString());

        Publish("2", $"{empty}  BEST-BEFORE-{DateTime.UtcNow.AddDays(2):yyyy-MM-dd}");
        Assert.Equal(0, (await Run("update")).ExitCode);
    }
}
