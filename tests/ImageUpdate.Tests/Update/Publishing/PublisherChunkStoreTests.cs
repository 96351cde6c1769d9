using System.Security.Cryptography;
using ImageUpdate.Formats.Casync;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Tests.Formats.Verification.Signing;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Update.Publishing;

/// <summary>publish --chunk-store: P.caibx beside every payload P, listed in SHA256SUMS, chunks in default.castr/.</summary>
public sealed class PublisherChunkStoreTests(SigningKeys keys) : IClassFixture<SigningKeys>
{
    [Fact]
    public async Task Every_payload_gets_a_listed_index_that_casync_extracts_from_the_store()
    {
        TestEnvironment.RequireTools("apt-get install casync", "casync");
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        var payload = scenario.AddPayloads("1");

        var result = await scenario.PublishAsync(scenario.Options("1") with { ChunkStore = true });

        var manifest = Sha256Manifest.Parse(File.ReadAllBytes(Path.Combine(scenario.Output, "SHA256SUMS")), "SHA256SUMS");
        Assert.Equal(["app_1.bin", "app_1.bin.caibx", "tree_1.tar", "tree_1.tar.caibx"], manifest.Entries.Select(e => e.FileName));
        Assert.Equal(["app_1.bin", "app_1.bin.caibx", "tree_1.tar", "tree_1.tar.caibx"], result.Files.Select(f => f.FileName).Order(StringComparer.Ordinal));
        foreach (var entry in manifest.Entries)
        {
            Assert.True(entry.Matches(SHA256.HashData(File.ReadAllBytes(Path.Combine(scenario.Output, entry.FileName)))), entry.FileName);
        }

        // The whole payload stays for sysupdate and older image-update.
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(scenario.Output, "app_1.bin")));

        // The index is casync's own for that file, and casync rebuilds the file from the store.
        var store = Path.Combine(scenario.Output, "default.castr");
        var theirs = Path.Combine(scenario.Root, "theirs.caibx");
        TestProcess.RunChecked("casync", ["make", $"--store={scenario["casync.castr"]}", theirs, Path.Combine(scenario.Output, "app_1.bin")]);
        Assert.Equal(File.ReadAllBytes(theirs), File.ReadAllBytes(Path.Combine(scenario.Output, "app_1.bin.caibx")));
        var rebuilt = Path.Combine(scenario.Root, "rebuilt.bin");
        TestProcess.RunChecked("casync", ["extract", $"--store={store}", Path.Combine(scenario.Output, "app_1.bin.caibx"), rebuilt]);
        Assert.Equal(payload, File.ReadAllBytes(rebuilt));
        Assert.Empty(Directory.GetFiles(scenario.Output, ".publish-*"));
        Assert.Empty(Directory.GetFiles(store, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Pruned_versions_lose_their_index_and_the_chunks_no_kept_index_references()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        foreach (var version in new[] { "1", "2", "3" })
        {
            scenario.AddPayloads(version);
            await scenario.PublishAsync(scenario.Options(version) with { ChunkStore = true, Keep = 2 });
        }

        Assert.False(File.Exists(Path.Combine(scenario.Output, "app_1.bin.caibx")));
        Assert.DoesNotContain("_1.", scenario.Manifest, StringComparison.Ordinal);
        Assert.Equal(ReferencedChunks(scenario.Output), new ChunkStore(Path.Combine(scenario.Output, "default.castr")).Enumerate().ToHashSet());
    }

    [Fact]
    public async Task Force_replaces_the_index_and_drops_chunks_only_the_old_one_had()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");
        await scenario.PublishAsync(scenario.Options("1") with { ChunkStore = true });
        var before = new ChunkStore(Path.Combine(scenario.Output, "default.castr")).Enumerate().ToHashSet();
        var replacement = scenario.AddPayloads("1");

        await scenario.PublishAsync(scenario.Options("1") with { ChunkStore = true, Force = true });

        var after = new ChunkStore(Path.Combine(scenario.Output, "default.castr")).Enumerate().ToHashSet();
        Assert.Equal(ReferencedChunks(scenario.Output), after);
        Assert.NotEqual(before, after);
        using var index = File.OpenRead(Path.Combine(scenario.Output, "app_1.bin.caibx"));
        var rebuilt = new MemoryStream();
        await CasyncBlob.ExtractAsync(CasyncIndex.Read(index, "app_1.bin.caibx"), new ChunkStore(Path.Combine(scenario.Output, "default.castr")), rebuilt, CancellationToken.None);
        Assert.Equal(replacement, rebuilt.ToArray());
    }

    [Fact]
    public async Task A_publish_without_the_option_still_prunes_the_store()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");
        await scenario.PublishAsync(scenario.Options("1") with { ChunkStore = true });
        scenario.AddPayloads("2");

        await scenario.PublishAsync(scenario.Options("2") with { Keep = 1 });

        Assert.Equal(["app_2.bin", "tree_2.tar"], Sha256Manifest.Parse(File.ReadAllBytes(Path.Combine(scenario.Output, "SHA256SUMS")), "SHA256SUMS").Entries.Select(e => e.FileName));
        Assert.Empty(new ChunkStore(Path.Combine(scenario.Output, "default.castr")).Enumerate());
    }

    [Fact]
    public async Task The_same_inputs_give_the_same_bytes()
    {
        using var scenario = new PublishScenario(keys.Ed25519.ExportSecretKey());
        scenario.AddPayloads("1");
        // Any fixed time after the test key was made.
        var signedAt = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);
        var first = Directory.CreateDirectory(scenario["first"]).FullName;
        var second = Directory.CreateDirectory(scenario["second"]).FullName;

        await scenario.PublishAsync(scenario.Options("1") with { ChunkStore = true, OutputDirectory = first, SigningTime = signedAt });
        await scenario.PublishAsync(scenario.Options("1") with { ChunkStore = true, OutputDirectory = second, SigningTime = signedAt });

        Assert.Equal(Tree(first), Tree(second));
        Assert.Contains(Tree(first).Keys, k => k.StartsWith("default.castr/", StringComparison.Ordinal));
    }

    private static HashSet<ChunkId> ReferencedChunks(string output)
    {
        var ids = new HashSet<ChunkId>();
        foreach (var index in Directory.GetFiles(output, "*.caibx"))
        {
            using var stream = File.OpenRead(index);
            ids.UnionWith(CasyncIndex.Read(stream, index).Chunks.Select(c => c.Id));
        }

        Assert.NotEmpty(ids);
        return ids;
    }

    private static SortedDictionary<string, string> Tree(string root) =>
        new(Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f),
            f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);
}
