using ImageUpdate.Tests.Formats.Verification.Signing;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Update.Publishing;

/// <summary>
/// The real program: `image-update publish` into a server directory, then `image-update update` from
/// it over file:// with the keyring publish exported (issue 6, last acceptance bullet).
/// </summary>
public sealed class PublishCommandTests(SigningKeys keys) : IClassFixture<SigningKeys>
{
    [Theory]
    [InlineData("ed25519", "zstd")]
    [InlineData("rsa", "xz")]
    [InlineData("ed25519", "gzip")]
    public async Task A_published_version_installs_through_the_engine(string key, string? compress)
    {
        using var scenario = new PublishScenario(keys.Get(key).ExportSecretKey(armor: true));
        await PublishAndUpdate(scenario, compress);
    }

    [Fact]
    public async Task An_uncompressed_file_installs_through_the_engine()
    {
        using var scenario = new PublishScenario(keys.Rsa.ExportSecretKey());
        File.Delete(Path.Combine(scenario.Definitions, "20-tree.transfer"));
        await PublishAndUpdate(scenario, null);
    }

    [Fact]
    public async Task An_uncompressed_tar_installs_through_the_engine()
    {
        using var scenario = new PublishScenario(keys.Rsa.ExportSecretKey());
        await PublishAndUpdate(scenario, null);
    }

    private static async Task PublishAndUpdate(PublishScenario scenario, string? compress)
    {
        Directory.CreateDirectory(scenario.Target);
        Directory.CreateDirectory(scenario.Trees);
        var payload = scenario.AddPayloads("2.1");
        string[] extra = compress is null ? [] : ["--compress", compress];

        var publish = await Publish(scenario, "2.1", extra);
        Assert.True(publish.ExitCode == 0, publish.ToString());
        Assert.Contains("  app_2.1.bin\n", publish.Stdout, StringComparison.Ordinal);

        var update = await ImageUpdateProcess.RunAsync(null, "--definitions", scenario.Definitions, "--keyring", scenario["server/keyring.gpg"], "update");
        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(scenario.Target, "app_2.1.bin")));
        if (File.Exists(Path.Combine(scenario.Definitions, "20-tree.transfer")))
        {
            Assert.Equal("2.1", File.ReadAllText(Path.Combine(scenario.Trees, "tree_2.1", "version")));
        }
    }

    [Fact]
    public async Task Publishing_the_same_version_twice_fails_unless_forced()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");
        Assert.Equal(0, (await Publish(scenario, "1")).ExitCode);

        var again = await Publish(scenario, "1");
        var forced = await Publish(scenario, "1", "--force");

        Assert.Equal(1, again.ExitCode);
        Assert.Contains("image-update: error: Version 1 is already published", again.Stderr, StringComparison.Ordinal);
        Assert.True(forced.ExitCode == 0, forced.ToString());
    }

    [Fact]
    public async Task Export_keyring_writes_the_keyring_where_asked_and_SOURCE_DATE_EPOCH_dates_the_signature()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");
        var epoch = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var result = await ImageUpdateProcess.RunAsync(
            new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = epoch },
            "--definitions", scenario.Definitions, "publish", "--version", "1", "--payloads", scenario.Payloads,
            "--output", scenario.Output, "--signing-key", scenario.KeyPath, "--export-keyring", scenario["trusted.pgp"], "--json", "short");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(scenario["trusted.pgp"]));
        Assert.False(File.Exists(scenario["server/keyring.gpg"]));
        var signedAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(epoch, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains($"\"signedAt\":\"{signedAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}\"", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_protected_key_is_refused_with_a_one_line_error()
    {
        using var scenario = new PublishScenario(keys.Protected.ExportSecretKey(armor: true));
        scenario.AddPayloads("1");

        var result = await Publish(scenario, "1");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"image-update: error: Signing key {scenario.KeyPath} is protected by a passphrase", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--compress", "lz4" }, "lz4")]
    [InlineData(new[] { "--best-before", "31.12.2099" }, "--best-before \"31.12.2099\" is not a YYYY-MM-DD date.")]
    [InlineData(new[] { "--keep", "0" }, "--keep 0 keeps nothing")]
    public async Task Bad_options_are_usage_errors(string[] options, string fragment)
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");

        var result = await Publish(scenario, "1", options);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(fragment, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_needs_definitions()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());

        var result = await ImageUpdateProcess.RunAsync(null, "publish", "--version", "1", "--payloads", scenario.Payloads, "--output", scenario.Output, "--signing-key", scenario.KeyPath);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("publish needs --definitions DIR", result.Stderr, StringComparison.Ordinal);
    }

    private static Task<RunResult> Publish(PublishScenario scenario, string version, params string[] extra) =>
        ImageUpdateProcess.RunAsync(null, ["--definitions", scenario.Definitions, "publish", "--version", version, "--payloads", scenario.Payloads, "--output", scenario.Output, "--signing-key", scenario.KeyPath, .. extra]);
}
