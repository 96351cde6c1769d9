using System.Text;
using ImageUpdate.Tests.Formats.Verification.Signing;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Delta;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Tests.Update.Delta;

/// <summary>
/// Issue 16's verified index cache: the index an install downloaded and checked is kept, so the next
/// update maps the installed slot by it without asking the server; only a file with the SHA-256 the
/// signed manifest lists is used, it stays inside --root, and it holds only installed versions.
/// </summary>
public sealed class IndexCacheTests(SigningKeys keys) : IClassFixture<SigningKeys>
{
    private const int Size = 8 << 20;

    [Fact]
    public async Task The_next_update_maps_the_installed_slot_by_the_cached_index_and_asks_the_server_for_no_old_index()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, Size);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        scenario.Define(server.BaseAddress.ToString());
        await UpdateAsync(scenario, "1");
        Assert.Contains(scenario.CachedIndexes(), e => EntryVersion(e) == "1");
        scenario.ResetServed();
        var logger = new CollectingLogger { Minimum = LogLevel.Debug };

        await UpdateAsync(scenario, "2", logger);

        Assert.Equal(scenario.V2, scenario.Installed("2", Size));
        Assert.DoesNotContain("/os_1.raw.caibx", scenario.Requests);
        Assert.Single(scenario.Requests, "/os_2.raw.caibx");
        Assert.Contains(logger.Messages, m => m.StartsWith("Using the cached os_1.raw.caibx", StringComparison.Ordinal));
        Assert.Contains(logger.Messages, m => m.EndsWith("(by the published index of version 1).", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tampered_cache_file_is_not_used_and_the_index_is_downloaded_instead()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, Size);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        scenario.Define(server.BaseAddress.ToString());
        await UpdateAsync(scenario, "1");
        var entry = Assert.Single(scenario.CachedIndexes(), e => EntryVersion(e) == "1");
        var bytes = File.ReadAllBytes(entry);
        bytes[^1] ^= 0x01; // the last chunk's ID: parsed fine, pointing at nothing v1 has
        File.WriteAllBytes(entry, bytes);
        scenario.ResetServed();
        var logger = new CollectingLogger { Minimum = LogLevel.Debug };

        await UpdateAsync(scenario, "2", logger);

        Assert.Equal(scenario.V2, scenario.Installed("2", Size));
        Assert.Single(scenario.Requests, "/os_1.raw.caibx");
        Assert.Contains(logger.Messages, m => m.StartsWith($"Ignoring the cached index {entry}: its SHA-256 is ", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Messages, m => m.StartsWith("Using the cached os_1.raw.caibx", StringComparison.Ordinal));

        // The download replaced the tampered file with the checked one.
        var again = Assert.Single(scenario.CachedIndexes(), e => EntryVersion(e) == "1");
        Assert.Equal(File.ReadAllBytes(Path.Combine(scenario.Server, "os_1.raw.caibx")), File.ReadAllBytes(again));
    }

    [Fact]
    public async Task Under_root_the_cache_is_kept_inside_the_root()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, Size);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        var root = Path.GetDirectoryName(scenario.Disk)!;
        scenario.Define(server.BaseAddress.ToString(), disk: "/" + Path.GetFileName(scenario.Disk));
        await UpdateAsync(scenario, "1", root: root);
        scenario.ResetServed();

        await UpdateAsync(scenario, "2", root: root);

        Assert.Equal(scenario.V2, scenario.Installed("2", Size));
        var cached = scenario.CachedIndexes(Path.Combine(root, "var/lib/image-update"));
        Assert.Equal(["1", "2"], cached.Select(EntryVersion).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("/os_1.raw.caibx", scenario.Requests);
        Assert.Empty(scenario.CachedIndexes());
    }

    [Fact]
    public async Task The_cache_holds_only_the_versions_the_target_still_holds()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, Size);
        scenario.Publish("3", DeltaTestData.Rewrite(scenario.V2, 0.05, 13));
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        scenario.Define(server.BaseAddress.ToString());
        await UpdateAsync(scenario, "1");
        await UpdateAsync(scenario, "2");
        Assert.Equal(["1", "2"], Versions(scenario));

        // v3 takes v1's slot: the vacuum before it drops v1's entry, the write adds v3's.
        await UpdateAsync(scenario, "3");
        Assert.Equal(["2", "3"], Versions(scenario));

        using (var engine = scenario.Engine(new CollectingLogger(), instancesMax: 1))
        {
            await engine.VacuumAsync(CancellationToken.None);
        }

        Assert.Equal(["3"], Versions(scenario));
    }

    [Fact]
    public void Store_keeps_at_most_MaxEntries_and_removes_what_a_crash_left()
    {
        using var dir = new TempDirectory("image-update-index-cache-");
        var cache = new IndexCache(dir["cache"], new CollectingLogger());
        var versions = Enumerable.Range(1, IndexCache.MaxEntries + 4).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Directory.CreateDirectory(cache.Directory);
        File.WriteAllText(Path.Combine(cache.Directory, ".#left-over.caibx"), "torn");
        File.WriteAllText(Path.Combine(cache.Directory, "not-an-entry.caibx"), "x");
        foreach (var version in versions)
        {
            var bytes = Encoding.UTF8.GetBytes($"index of {version}");
            cache.Store(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), version, bytes, versions);
        }

        var left = Directory.GetFiles(cache.Directory);
        Assert.Equal(IndexCache.MaxEntries, left.Length);
        Assert.All(left, e => Assert.NotNull(EntryVersion(e)));
        var last = Encoding.UTF8.GetBytes($"index of {versions[^1]}");
        Assert.Equal(last, cache.TryRead(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(last)), "x"));
    }

    private static List<string?> Versions(DeltaScenario scenario) =>
        [.. scenario.CachedIndexes().Select(EntryVersion).Order(StringComparer.Ordinal)];

    /// <summary>The version an entry's name (SHA256.HEXVERSION.caibx) carries.</summary>
    private static string? EntryVersion(string path)
    {
        var parts = Path.GetFileName(path).Split('.');
        return parts.Length == 3 && parts[2] == "caibx" && parts[0].Length == 64 ? Encoding.UTF8.GetString(Convert.FromHexString(parts[1])) : null;
    }

    private static async Task UpdateAsync(DeltaScenario scenario, string version, CollectingLogger? logger = null, string? root = null)
    {
        using var engine = scenario.Engine(logger ?? new CollectingLogger(), root: root);
        await engine.UpdateAsync(version, UpdateActions.All, CancellationToken.None);
    }
}
