using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Formats.Verification.Signing;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;
using Microsoft.Extensions.Logging;

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
    /// <summary>
    /// A held leftover keeps its blocks until the writes are done, while the size check counted them
    /// as freed: on a file system with no room for both, it is let go, and the update that fits
    /// completes instead of running out of room.
    /// </summary>
    [Fact]
    public async Task A_leftover_on_a_file_system_without_room_for_it_beside_the_new_copy_is_let_go()
    {
        using var scenario = new DeltaScenario(keys.Ed25519, Size);
        await using var server = await TestHttpServer.StartAsync(scenario.ServeAsync);

        // v1 (16 MiB) and a 60% leftover of v2 leave 10.4 of 36 MiB free: v2 fits once the leftover
        // is gone, not beside it.
        using var small = new SmallFileSystem(scenario["target"], 36 << 10);
        scenario.Define(server.BaseAddress.ToString(), fileTarget: small.Path);
        using (var engine = scenario.Engine(new CollectingLogger()))
        {
            await engine.UpdateAsync("1", UpdateActions.All, CancellationToken.None);
        }

        var leftover = Path.Combine(small.Path, FileTreeTarget.InFlightPrefix + "os_2.raw");
        File.WriteAllBytes(leftover, scenario.V2[..(Size * 6 / 10)]);
        var logger = new CollectingLogger { Minimum = LogLevel.Debug };
        using (var engine = scenario.Engine(logger))
        {
            await engine.UpdateAsync("2", UpdateActions.All, CancellationToken.None);
        }

        Assert.Equal(scenario.V2, File.ReadAllBytes(Path.Combine(small.Path, "os_2.raw")));
        Assert.Contains(logger.Messages, m => m.StartsWith("Not seeding from '" + leftover + "': the file system has no room for it", StringComparison.Ordinal));
        Assert.False(File.Exists(leftover));
    }
    /// <summary>
    /// FAT keeps no list of unlinked open files: a power cut while a leftover on an ESP is held would
    /// leave its clusters allocated with no directory entry. There it is let go, whatever the room.
    /// (The rule on statfs's answers: this machine's kernel has no vfat to mount.)
    /// </summary>
    [Theory]
    [InlineData(0x4d44L, 10L << 20, null, 1L << 40, "it is on a FAT file system")]
    [InlineData(0xEF53L, 10L << 20, null, 20L << 20, null)]
    [InlineData(0xEF53L, 10L << 20, null, (20L << 20) - 1, "the file system has no room for it (10485760 bytes) beside the new copy")]
    [InlineData(0xEF53L, 10L << 20, 16UL << 20, 26L << 20, null)]
    [InlineData(0xEF53L, 10L << 20, 16UL << 20, (26L << 20) - 1, "the file system has no room for it (10485760 bytes) beside the new copy")]
    [InlineData(0xEF53L, 10L << 20, ulong.MaxValue, long.MaxValue, null)]
    [InlineData(0xEF53L, 10L << 20, null, null, "the file system has no room for it (10485760 bytes) beside the new copy")]
    public void A_leftover_is_held_only_off_FAT_and_with_room_for_it_beside_the_payload(long type, long leftover, ulong? payload, long? available, string? why) =>
        Assert.Equal(why, UpdateEngine.WhyNotHeld(type, leftover, payload, available));
}
