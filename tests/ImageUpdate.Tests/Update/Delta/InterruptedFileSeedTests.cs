using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Formats.Verification.Signing;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Tests.Update.Delta;

/// <summary>
/// Issue 16: a regular-file target's own partial copy of an interrupted attempt seeds the rerun. The
/// making of room before the write removes the `.#sysupdate.partial.NAME` leftover by name, but its
/// bytes are held open until the rebuild is done, so what the attempt wrote is not fetched again.
/// </summary>
public sealed class InterruptedFileSeedTests(SigningKeys keys) : IClassFixture<SigningKeys>
{
    private const int Size = 16 << 20;

    [Fact]
    public async Task An_interrupted_delta_install_to_a_file_target_seeds_the_rerun_which_fetches_only_what_was_missing()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, Size);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);
        var target = Directory.CreateDirectory(scenario["target"]).FullName;
        scenario.Define(server.BaseAddress.ToString(), fileTarget: target);
        using (var engine = scenario.Engine(new CollectingLogger()))
        {
            await engine.UpdateAsync("1", UpdateActions.All, CancellationToken.None);
        }

        // The attempt at v2 stopped at 60%; the chunks only v2 has that it wrote are then gone from the store.
        var written = Size * 6 / 10;
        var leftover = Path.Combine(target, FileTreeTarget.InFlightPrefix + "os_2.raw");
        File.WriteAllBytes(leftover, scenario.V2[..written]);
        var v1 = (await DeltaTestData.IndexAsync(scenario.V1, null)).Chunks.Select(c => c.Id).ToHashSet();
        var v2 = await DeltaTestData.IndexAsync(scenario.V2, null);
        var gone = v2.Chunks.Where(c => !v1.Contains(c.Id) && c.End <= written).ToList();
        Assert.NotEmpty(gone);
        var store = new ChunkStore(scenario.Store);
        foreach (var chunk in gone)
        {
            store.Remove(chunk.Id);
        }

        scenario.ResetServed();
        var logger = new CollectingLogger();

        using (var engine = scenario.Engine(logger))
        {
            await engine.UpdateAsync("2", UpdateActions.All, CancellationToken.None);
        }

        Assert.Equal(scenario.V2, File.ReadAllBytes(Path.Combine(target, "os_2.raw")));
        Assert.DoesNotContain(logger.Messages, m => m.Contains("whole file", StringComparison.Ordinal));
        Assert.DoesNotContain("/os_2.raw", scenario.Requests);
        var missing = v2.Chunks.Where(c => !v1.Contains(c.Id) && c.End > written).Sum(c => (long)c.Length);
        Assert.True(scenario.Served <= missing + (1 << 20), $"{scenario.Served} bytes served, {missing} bytes of chunks were missing");
        Assert.False(File.Exists(leftover));
        Assert.Equal(["os_1.raw", "os_2.raw"], Directory.GetFileSystemEntries(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
