using System.Security.Cryptography;
using ImageUpdate.Formats.Compression;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Formats.Verification.Signing;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Formats.Verification.Signing;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Publishing;

namespace ImageUpdate.Tests.Update.Publishing;

public sealed class PublisherTests(SigningKeys keys) : IClassFixture<SigningKeys>
{
    [Theory]
    [InlineData("ed25519", false)]
    [InlineData("ed25519", true)]
    [InlineData("rsa", false)]
    [InlineData("rsa", true)]
    public async Task A_publish_verifies_with_the_keyring_it_exported_for_us_and_for_gpg(string name, bool armor)
    {
        var gpg = keys.Get(name);
        using var scenario = new PublishScenario(gpg.ExportSecretKey(armor));
        var payload = scenario.AddPayloads("1.0");

        var result = await scenario.PublishAsync(scenario.Options("1.0"));

        var manifest = File.ReadAllBytes(Path.Combine(scenario.Output, "SHA256SUMS"));
        var signature = File.ReadAllBytes(Path.Combine(scenario.Output, "SHA256SUMS.gpg"));
        var keyring = File.ReadAllBytes(Path.Combine(scenario.Output, "keyring.gpg"));
        var verified = new OpenPgpSignatureVerifier().VerifyDetached(manifest, signature, Keyring.Parse(keyring, "keyring.gpg"));
        Assert.Equal(gpg.Fingerprint, verified.PrimaryKeyFingerprint);
        var (exitCode, status) = SigningKey.VerifyWithGpg(keyring, Path.Combine(scenario.Output, "SHA256SUMS"), Path.Combine(scenario.Output, "SHA256SUMS.gpg"));
        Assert.True(exitCode == 0, status);

        var parsed = Sha256Manifest.Parse(manifest, "SHA256SUMS");
        Assert.Equal(["app_1.0.bin", "tree_1.0.tar"], parsed.Entries.Select(e => e.FileName));
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(scenario.Output, "app_1.0.bin")));
        Assert.True(parsed.Find("app_1.0.bin")!.Matches(SHA256.HashData(payload)));
        Assert.Equal(["10-app", "20-tree"], result.Files.Select(f => f.TransferId));
        Assert.Equal(Path.Combine(scenario.Output, "keyring.gpg"), result.KeyringPath);
        Assert.Empty(Directory.GetFiles(scenario.Output, ".publish-*"));
    }

    [Fact]
    public async Task Publishing_a_version_twice_is_refused_and_changes_nothing()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");
        await scenario.PublishAsync(scenario.Options("1"));
        var before = Snapshot(scenario.Output);
        scenario.AddPayloads("1");

        var e = await Assert.ThrowsAsync<PublishException>(() => scenario.PublishAsync(scenario.Options("1")));

        Assert.Contains("Version 1 is already published", e.Message, StringComparison.Ordinal);
        Assert.Contains("--force", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(scenario.Output));
    }

    [Fact]
    public async Task Force_replaces_the_version_and_keeps_the_others()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");
        await scenario.PublishAsync(scenario.Options("1"));
        scenario.AddPayloads("2");
        await scenario.PublishAsync(scenario.Options("2"));
        var oldLine = scenario.Manifest.Split('\n').Single(l => l.EndsWith("app_1.bin", StringComparison.Ordinal));
        var replacement = scenario.AddPayloads("2");

        await scenario.PublishAsync(scenario.Options("2") with { Force = true });

        var manifest = Sha256Manifest.Parse(File.ReadAllBytes(Path.Combine(scenario.Output, "SHA256SUMS")), "SHA256SUMS");
        Assert.True(manifest.Find("app_2.bin")!.Matches(SHA256.HashData(replacement)));
        Assert.Contains(oldLine + "\n", scenario.Manifest, StringComparison.Ordinal);
        Assert.Equal(4, manifest.Entries.Count);
        Assert.Equal(replacement, File.ReadAllBytes(Path.Combine(scenario.Output, "app_2.bin")));
    }

    [Fact]
    public async Task Keep_prunes_the_oldest_versions_by_version_order_and_deletes_their_files()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        // 9 < 10 < 11 as versions, though not as strings.
        foreach (var version in (string[])["10", "9"])
        {
            scenario.AddPayloads(version);
            await scenario.PublishAsync(scenario.Options(version));
        }

        scenario.AddPayloads("11");
        var result = await scenario.PublishAsync(scenario.Options("11") with { Keep = 2 });

        Assert.Equal(["9"], result.PrunedVersions);
        Assert.Equal(["11", "10"], result.Versions);
        Assert.Equal(["app_9.bin", "tree_9.tar"], result.DeletedFiles.Order(StringComparer.Ordinal));
        Assert.False(File.Exists(Path.Combine(scenario.Output, "app_9.bin")));
        Assert.True(File.Exists(Path.Combine(scenario.Output, "app_10.bin")));
        var names = Sha256Manifest.Parse(File.ReadAllBytes(Path.Combine(scenario.Output, "SHA256SUMS")), "SHA256SUMS").Entries.Select(e => e.FileName);
        Assert.Equal(["app_10.bin", "app_11.bin", "tree_10.tar", "tree_11.tar"], names);
    }

    [Fact]
    public async Task Keep_refuses_a_version_it_would_drop_at_once()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("5");
        await scenario.PublishAsync(scenario.Options("5"));
        scenario.AddPayloads("4");

        var e = await Assert.ThrowsAsync<PublishException>(() => scenario.PublishAsync(scenario.Options("4") with { Keep = 1 }));

        Assert.Contains("--keep 1 would drop it at once", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lines_of_files_no_transfer_names_are_kept()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        var foreign = $"{new string('a', 64)} *notes.txt\n";
        File.WriteAllText(Path.Combine(scenario.Output, "SHA256SUMS"), foreign);
        scenario.AddPayloads("1");

        await scenario.PublishAsync(scenario.Options("1") with { Keep = 1 });

        Assert.Contains(foreign, scenario.Manifest, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PublishCompression.Zstd, CompressionKind.Zstd)]
    [InlineData(PublishCompression.Xz, CompressionKind.Xz)]
    [InlineData(PublishCompression.Gzip, CompressionKind.Gzip)]
    public async Task Compress_writes_the_format_asked_for_and_gives_the_same_bytes_twice(PublishCompression compression, CompressionKind kind)
    {
        using var first = new PublishScenario(keys.Ed25519.ExportSecretKey());
        using var second = new PublishScenario(keys.Ed25519.ExportSecretKey());
        first.AddPayloads("1");
        foreach (var file in Directory.GetFiles(first.Payloads))
        {
            File.Copy(file, Path.Combine(second.Payloads, Path.GetFileName(file)));
        }

        var time = DateTimeOffset.UtcNow;
        var result = await first.PublishAsync(first.Options("1") with { Compression = compression, SigningTime = time });
        await second.PublishAsync(second.Options("1") with { Compression = compression, SigningTime = time });

        Assert.All(result.Files, f => Assert.Equal(kind, f.Compression));
        var written = File.ReadAllBytes(Path.Combine(first.Output, "app_1.bin"));
        Assert.Equal(kind, CompressionDetector.Detect(written));
        Assert.True(written.Length < 150_000, $"{written.Length} bytes");
        foreach (var name in (string[])["app_1.bin", "tree_1.tar", "SHA256SUMS", "SHA256SUMS.gpg", "keyring.gpg"])
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(first.Output, name)), File.ReadAllBytes(Path.Combine(second.Output, name)));
        }
    }

    [Fact]
    public async Task An_already_compressed_payload_is_not_compressed_again()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");
        Test72Scenario.Run("gzip", "-n", Path.Combine(scenario.Payloads, "app_1.bin"));
        File.Move(Path.Combine(scenario.Payloads, "app_1.bin.gz"), Path.Combine(scenario.Payloads, "app_1.bin"));

        var result = await scenario.PublishAsync(scenario.Options("1") with { Compression = PublishCompression.Xz });

        Assert.Equal(CompressionKind.Gzip, result.Files[0].Compression);
        Assert.Equal(File.ReadAllBytes(Path.Combine(scenario.Payloads, "app_1.bin")), File.ReadAllBytes(Path.Combine(scenario.Output, "app_1.bin")));
    }

    [Fact]
    public async Task Best_before_writes_a_marker_the_manifest_parser_honours()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");

        await scenario.PublishAsync(scenario.Options("1") with { BestBefore = new DateOnly(2099, 12, 31) });

        var manifest = Sha256Manifest.Parse(File.ReadAllBytes(Path.Combine(scenario.Output, "SHA256SUMS")), "SHA256SUMS");
        Assert.Equal(new DateOnly(2099, 12, 31), manifest.BestBefore);
        Assert.Empty(manifest.Warnings);
        Assert.EndsWith("  BEST-BEFORE-2099-12-31\n", scenario.Manifest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_best_before_date_that_has_begun_is_refused()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);

        var e = await Assert.ThrowsAsync<UsageException>(() => scenario.PublishAsync(scenario.Options("1") with { BestBefore = today }));

        Assert.Contains("is not after today", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_payload_is_named()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");
        File.Delete(Path.Combine(scenario.Payloads, "tree_1.tar"));

        var e = await Assert.ThrowsAsync<PublishException>(() => scenario.PublishAsync(scenario.Options("1")));

        Assert.Contains($"payload {Path.Combine(scenario.Payloads, "tree_1.tar")} is missing", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(scenario.Output));
    }

    [Fact]
    public async Task A_pattern_with_wildcards_besides_version_needs_exactly_one_matching_payload()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        File.Delete(Path.Combine(scenario.Definitions, "20-tree.transfer"));
        scenario.WriteTransfer("10-app", "url-file", "app_@v+@l.bin", "regular-file", scenario.Target, "app_@v+@l.bin");
        scenario.AddPayloads("1");

        var e = await Assert.ThrowsAsync<PublishException>(() => scenario.PublishAsync(scenario.Options("1")));
        Assert.Contains("has wildcards publish cannot fill (@l), and no file", e.Message, StringComparison.Ordinal);

        File.Move(Path.Combine(scenario.Payloads, "app_1.bin"), Path.Combine(scenario.Payloads, "app_1+3.bin"));
        var result = await scenario.PublishAsync(scenario.Options("1"));
        Assert.Equal("app_1+3.bin", Assert.Single(result.Files).FileName);
    }

    [Theory]
    [InlineData("sub/app_@v.bin")]
    [InlineData("**/app_@v.bin")]
    public async Task A_source_pattern_naming_a_subdirectory_is_refused_before_anything_is_written(string pattern)
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        File.Delete(Path.Combine(scenario.Definitions, "20-tree.transfer"));
        scenario.WriteTransfer("10-app", "url-file", pattern, "regular-file", scenario.Target, "app_@v.bin");
        scenario.AddPayloads("1");

        var e = await Assert.ThrowsAsync<PublishException>(() => scenario.PublishAsync(scenario.Options("1")));

        Assert.Contains($"source pattern '{pattern}' names files in subdirectories; publish writes one flat directory", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(scenario.Output));
    }

    [Fact]
    public async Task A_protected_signing_key_is_refused_before_anything_is_written()
    {
        using var scenario = new PublishScenario(keys.Protected.ExportSecretKey());
        scenario.AddPayloads("1");

        var e = await Assert.ThrowsAsync<SigningKeyException>(() => scenario.PublishAsync(scenario.Options("1")));

        Assert.Contains("is protected by a passphrase", e.Message, StringComparison.Ordinal);
        Assert.Contains(scenario.KeyPath, e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(scenario.Output));
    }

    [Fact]
    public async Task A_publish_waits_while_another_holds_the_output_directory()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");
        var other = ImageUpdate.Platform.FileSystem.FileLock.Acquire(scenario.Output);
        using var watch = new InotifyWatch(scenario.Output, InotifyWatch.Open | InotifyWatch.Create);

        // Each try for the lock opens the directory (nothing else opens it before the lock is had):
        // a second open means the first try was refused and the publish is waiting its turn.
        var publish = scenario.PublishAsync(scenario.Options("1"));
        await watch.WaitForAsync(events => events.Count(e => (e.Mask & InotifyWatch.Open) != 0 && e.Name == "") >= 2, "two tries for the lock");
        var finishedWhileLocked = publish.IsCompleted;
        var createdWhileLocked = watch.Events.Where(e => (e.Mask & InotifyWatch.Create) != 0).Select(e => e.Name).ToList();
        other.Dispose();
        await publish;

        Assert.False(finishedWhileLocked);
        Assert.Empty(createdWhileLocked);
        Assert.True(File.Exists(Path.Combine(scenario.Output, "SHA256SUMS")));
    }

    [Theory]
    [InlineData("", "Version \"\" is not valid")]
    [InlineData("1/2", "Version \"1/2\" is not valid")]
    public async Task An_invalid_version_is_refused(string version, string fragment)
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());

        var e = await Assert.ThrowsAsync<UsageException>(() => scenario.PublishAsync(scenario.Options(version)));

        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Snapshot(string directory) =>
        Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
