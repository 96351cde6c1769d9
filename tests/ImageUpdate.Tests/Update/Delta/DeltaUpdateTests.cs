using ImageUpdate.Formats.Casync;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Formats.Verification.Signing;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Tests.Update.Delta;

/// <summary>
/// `update` of a url-file partition transfer whose server has a chunk store: v1 is installed in one
/// slot, v2 (5% rewritten) is published with `publish --chunk-store`, and the update rebuilds v2 from
/// the v1 slot and the chunks it lacks, served by Kestrel or by nginx, whose access log counts what it sent.
/// </summary>
public sealed class DeltaUpdateTests(SigningKeys keys) : IClassFixture<SigningKeys>
{
    private const int ImageBytes = 64 << 20;

    [Fact]
    public async Task Update_over_Kestrel_rebuilds_v2_from_the_v1_slot_with_under_7_percent_sent()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, ImageBytes);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        scenario.Define(server.BaseAddress.ToString());
        await InstallV1Async(scenario);
        scenario.ResetServed();
        var logger = new CollectingLogger();

        using (var engine = scenario.Engine(logger))
        {
            await engine.UpdateAsync("2", UpdateActions.All, CancellationToken.None);
        }

        Assert.Equal(scenario.V2, scenario.Installed("2", ImageBytes));
        Assert.True(scenario.Served <= scenario.V2.Length * 0.07, $"Kestrel sent {scenario.Served} bytes for a {scenario.V2.Length}-byte v2");
        Assert.Contains(logger.Messages, m => m.StartsWith("Rebuilding os_2.raw from its index", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Update_over_nginx_rebuilds_v2_with_under_7_percent_sent_by_its_access_log()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, ImageBytes);
        await using var nginx = await NginxServer.StartAsync(scenario.Server);
        scenario.Define(nginx.BaseAddress.ToString());
        await InstallV1Async(scenario);
        var before = nginx.LoggedRequests;

        using (var engine = scenario.Engine(new CollectingLogger()))
        {
            await engine.UpdateAsync("2", UpdateActions.All, CancellationToken.None);
        }

        Assert.Equal(scenario.V2, scenario.Installed("2", ImageBytes));
        var sent = nginx.BodyBytesSent(before);
        Assert.True(sent <= scenario.V2.Length * 0.07, $"nginx sent {sent} bytes for a {scenario.V2.Length}-byte v2");
        Assert.DoesNotContain(nginx.Entries().Skip(before), e => e.Uri == "/os_2.raw");
        Assert.All(nginx.Entries().Skip(before), e => Assert.Equal(200, e.Status));
    }

    [Fact]
    public async Task A_tampered_chunk_in_the_store_is_refused_and_nothing_becomes_pending()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, ImageBytes);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        scenario.Define(server.BaseAddress.ToString());
        await InstallV1Async(scenario);
        var needed = await ChunksOnlyV2HasAsync(scenario);
        var tampered = needed[needed.Count / 2];
        var store = new ChunkStore(scenario.Store);
        File.WriteAllBytes(store.PathOf(tampered.Id), ChunkStore.Compress(DeltaTestData.Random(tampered.Length, 13)));

        using (var engine = scenario.Engine(new CollectingLogger()))
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() => engine.UpdateAsync("2", UpdateActions.All, CancellationToken.None));
            Assert.Contains(tampered.Id.ToString(), e.Message, StringComparison.Ordinal);
        }

        Assert.False(scenario.AnyPending());
        Assert.Equal(scenario.V1, scenario.Installed("1", ImageBytes));
    }

    [Fact]
    public async Task A_store_with_missing_chunks_falls_back_to_the_whole_file_and_succeeds()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, ImageBytes);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        scenario.Define(server.BaseAddress.ToString());
        await InstallV1Async(scenario);
        var needed = await ChunksOnlyV2HasAsync(scenario);
        var store = new ChunkStore(scenario.Store);
        store.Remove(needed[^1].Id);
        scenario.ResetServed();
        var logger = new CollectingLogger();

        using (var engine = scenario.Engine(logger))
        {
            await engine.UpdateAsync("2", UpdateActions.All, CancellationToken.None);
        }

        Assert.Equal(scenario.V2, scenario.Installed("2", ImageBytes));
        Assert.Contains(logger.Messages, m => m.StartsWith("Falling back to downloading the whole file", StringComparison.Ordinal) && m.Contains("does not have chunk", StringComparison.Ordinal));
        Assert.True(scenario.Served >= scenario.V2.Length - needed[^1].Offset, $"{scenario.Served} bytes served");
    }

    [Fact]
    public async Task Without_a_seed_the_estimate_is_the_whole_file_and_the_whole_file_is_downloaded()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, 8 << 20);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        scenario.Define(server.BaseAddress.ToString());
        var logger = new CollectingLogger();

        using (var engine = scenario.Engine(logger))
        {
            await engine.UpdateAsync("2", UpdateActions.All, CancellationToken.None);
        }

        Assert.Equal(scenario.V2, scenario.Installed("2", 8 << 20));
        Assert.Contains(logger.Messages, m => m.StartsWith("Downloading the whole file os_2.raw: the estimated download", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_seed_given_by_path_serves_a_target_that_has_nothing_installed()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, 16 << 20);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        Directory.CreateDirectory(scenario["files"]);
        scenario.Define(server.BaseAddress.ToString(), fileTarget: scenario["files"]);
        File.WriteAllBytes(scenario["old.raw"], scenario.V1);
        scenario.ResetServed();

        using (var engine = scenario.Engine(new CollectingLogger(), seeds: [scenario["old.raw"]]))
        {
            await engine.UpdateAsync("2", UpdateActions.All, CancellationToken.None);
        }

        Assert.Equal(scenario.V2, File.ReadAllBytes(Path.Combine(scenario["files"], "os_2.raw")));
        Assert.True(scenario.Served <= scenario.V2.Length * 0.15, $"{scenario.Served} bytes served");
    }

    [Fact]
    public async Task An_index_and_store_that_casync_made_install_the_same()
    {
        TestEnvironment.RequireTools("apt-get install casync", "casync");
        using var scenario = new DeltaScenario(keys.Ed25519, 16 << 20);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        scenario.Define(server.BaseAddress.ToString());
        await InstallV1Async(scenario);

        // casync's own index (the manifest lists ours: they must be the same bytes) and its own store.
        Directory.Delete(scenario.Store, recursive: true);
        var index = Path.Combine(scenario.Server, "os_2.raw.caibx");
        var ours = File.ReadAllBytes(index);
        File.Delete(index);
        TestProcess.RunChecked("casync", ["make", $"--store={scenario.Store}", index, Path.Combine(scenario.Server, "os_2.raw")]);
        Assert.Equal(ours, File.ReadAllBytes(index));
        scenario.ResetServed();
        var logger = new CollectingLogger();

        using (var engine = scenario.Engine(logger))
        {
            await engine.UpdateAsync("2", UpdateActions.All, CancellationToken.None);
        }

        Assert.Equal(scenario.V2, scenario.Installed("2", 16 << 20));
        Assert.DoesNotContain(logger.Messages, m => m.Contains("whole file", StringComparison.Ordinal));
        Assert.True(scenario.Served < scenario.V2.Length / 2, $"{scenario.Served} bytes served");
    }

    private static async Task InstallV1Async(DeltaScenario scenario)
    {
        using var engine = scenario.Engine(new CollectingLogger());
        await engine.UpdateAsync("1", UpdateActions.All, CancellationToken.None);
        Assert.Equal(scenario.V1, scenario.Installed("1", scenario.V1.Length));
    }

    /// <summary>The chunks of v2's index that v1 does not have, in order.</summary>
    private static async Task<List<IndexedChunk>> ChunksOnlyV2HasAsync(DeltaScenario scenario)
    {
        var v1 = (await DeltaTestData.IndexAsync(scenario.V1, null)).Chunks.Select(c => c.Id).ToHashSet();
        var v2 = await DeltaTestData.IndexAsync(scenario.V2, null);
        return [.. v2.Chunks.Where(c => !v1.Contains(c.Id))];
    }
}
