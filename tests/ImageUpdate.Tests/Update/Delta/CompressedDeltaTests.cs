using System.Security.Cryptography;
using ImageUpdate.Formats.Casync;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Delta;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Tests.Update.Delta;

/// <summary>
/// A compressed payload (os_V.raw.xz) with a chunk index: the target holds it decompressed, so an
/// installed copy is not the published file of its version (no mapping by the published index) and
/// an offset in the payload is no offset in a slot (no in-place seed). Here the "compressed" bytes are
/// random; what matters is that the seeds do not hold them where the old assumptions said.
/// </summary>
public sealed class CompressedDeltaTests : IDisposable
{
    private const int Size = 4 << 20;

    private readonly TempDirectory _dir = new("compressed-delta");

    public void Dispose() => _dir.Dispose();

    /// <summary>Serves P2 (os_2 NAME), its index and v1's index; the seeds are a v1 slot holding other bytes (its decompressed content) and a free slot.</summary>
    private async Task<(DeltaRequest Request, byte[] P2, CountingStoreSource Store)> ScenarioAsync(string suffix, byte[] inPlaceBytes, Func<byte[], byte[]> slotOf)
    {
        var p1 = DeltaTestData.Random(Size, 1);
        var p2 = DeltaTestData.Rewrite(p1, 0.05, 2);
        var store = new ChunkStore(_dir["store"]);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["os_1.raw" + suffix + DeltaInstaller.IndexSuffix] = IndexBytes(await DeltaTestData.IndexAsync(p1, null)),
            ["os_2.raw" + suffix] = p2,
            ["os_2.raw" + suffix + DeltaInstaller.IndexSuffix] = IndexBytes(await DeltaTestData.IndexAsync(p2, store)),
        };
        ManifestEntry Entry(string name) => new(name, Convert.ToHexStringLower(SHA256.HashData(files[name])), true, 1);

        File.WriteAllBytes(_dir["v1-slot"], slotOf(p1));
        File.WriteAllBytes(_dir["free-slot"], inPlaceBytes);
        var request = new DeltaRequest(
            "os_2.raw" + suffix,
            Entry("os_2.raw" + suffix + DeltaInstaller.IndexSuffix),
            (name, _) => Task.FromResult<Stream>(new MemoryStream(files[name], writable: false)),
            [new Seed(_dir["v1-slot"]) { Version = "1" }, new Seed(_dir["free-slot"]) { InPlace = true }],
            new DeltaCounters())
        {
            IndexOfVersion = version => version == "1" ? Entry("os_1.raw" + suffix + DeltaInstaller.IndexSuffix) : null,
        };
        return (request, p2, new CountingStoreSource(store));
    }

    private static byte[] IndexBytes(CasyncIndex index)
    {
        using var stream = new MemoryStream();
        index.WriteTo(stream);
        return stream.ToArray();
    }

    [Theory]
    [InlineData(".xz")]
    [InlineData(".zst")]
    [InlineData(".gz")]
    public async Task A_compressed_payload_neither_maps_seeds_by_the_published_index_nor_reads_slots_in_place(string suffix)
    {
        // The v1 slot holds v1 decompressed (other bytes than P1); the free slot holds the start of
        // P2 at P2's offsets, which a decompressing write would overtake.
        var (request, p2, store) = await ScenarioAsync(suffix, DeltaTestData.Random(Size, 3), p1 => DeltaTestData.Random(Size, 4));
        var logger = new CollectingLogger { Minimum = LogLevel.Debug };

        await using var stream = await new DeltaInstaller(_ => store, logger).OpenAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(p2, await DeltaTestData.ReadAllAsync(stream));
        Assert.Contains(logger.Messages, m => m.StartsWith("Seed ", StringComparison.Ordinal) && m.EndsWith("(chunked here).", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Messages, m => m.Contains("published index", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Messages, m => m.Contains("a slot this rebuild may write into", StringComparison.Ordinal));
        Assert.Contains(logger.Messages, m => m.StartsWith($"Downloading the whole file os_2.raw{suffix}: the estimated download", StringComparison.Ordinal));
        Assert.Equal(0, store.Requests);
    }

    [Fact]
    public async Task An_uncompressed_payload_still_maps_the_installed_slot_by_the_published_index()
    {
        var (request, p2, store) = await ScenarioAsync("", new byte[Size], p1 => p1);
        var logger = new CollectingLogger { Minimum = LogLevel.Debug };

        await using var stream = await new DeltaInstaller(_ => store, logger).OpenAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(p2, await DeltaTestData.ReadAllAsync(stream));
        Assert.Contains(logger.Messages, m => m.EndsWith("(by the published index of version 1).", StringComparison.Ordinal));
        Assert.Contains(logger.Messages, m => m.StartsWith("Rebuilding os_2.raw from its index", StringComparison.Ordinal));
    }
}
