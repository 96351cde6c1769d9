using System.Buffers.Binary;
using System.Text.RegularExpressions;
using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Casync;

/// <summary>
/// Deterministic mutations of real indexes and chunks: bytes flipped, words set to extremes, files
/// truncated or extended. Reading may only succeed or raise CasyncFormatException, within a fixed
/// allocation budget whatever the bytes claim.
/// </summary>
public sealed partial class CasyncFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Iterations = 4000;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Mutated_indexes_raise_only_CasyncFormatException()
    {
        var data = CasyncTestData.Random(3 << 20, 11);
        var real = CasyncIndexTests.Write(await CasyncBlob.IndexAsync(new MemoryStream(data), null, ChunkSizeLimits.Default, TestContext.Current.CancellationToken));
        byte[][] seeds = [real, CasyncIndexTests.ThreeChunks(), CasyncIndexTests.Write(new CasyncIndex(CasyncIndex.BlobFeatureFlags, ChunkSizeLimits.Default, []))];
        Fuzz(seeds, new Random(0xCA1B), bytes =>
        {
            var index = CasyncIndex.Read(new MemoryStream(bytes), "fuzz.caibx");
            Assert.Equal(bytes, CasyncIndexTests.Write(index));
        });
    }

    /// <summary>
    /// Reads <see cref="Iterations"/> mutations of <paramref name="seeds"/> with <paramref name="read"/>: each
    /// must read or raise <see cref="CasyncFormatException"/>, within the allocation budget; enough
    /// still read, and the failures are varied (messages with their numbers blanked, tallied).
    /// </summary>
    private void Fuzz(byte[][] seeds, Random random, Action<byte[]> read)
    {
        var outcomes = new Dictionary<string, int>();
        var budget = new AllocationBudget(1L << 20);
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = Mutate(seeds[i % seeds.Length], random);
            var outcome = "read";
            try
            {
                budget.Measure(() => read(bytes));
            }
            catch (CasyncFormatException e)
            {
                outcome = Numbers().Replace(e.Message, "#");
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i} threw {e.GetType().Name}: {e}");
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        foreach (var (outcome, count) in outcomes.OrderByDescending(o => o.Value))
        {
            output.WriteLine($"{count,6} {outcome}");
        }

        Assert.True(outcomes.GetValueOrDefault("read") > Iterations / 50, "too few mutations still read");
        Assert.True(outcomes.Count > 8, $"only {outcomes.Count} distinct outcomes");
        output.WriteLine(budget.ToString());
        budget.AssertWithin();
    }

    [Fact]
    public void Mutated_chunks_raise_only_CasyncFormatException()
    {
        var store = new ChunkStore(_temp.Path);
        // Compressible (3 bits of entropy a byte), so that mutations hit zstd's headers and tables, not raw blocks.
        var chunk = CasyncTestData.Random(50_000, 12).Select(b => (byte)(b & 7)).ToArray();
        var id = ChunkId.Compute(chunk);
        var seed = ChunkStore.Compress(chunk);
        var random = new Random(0xC4C);
        var outcomes = new Dictionary<string, int>();
        var budget = new AllocationBudget(1L << 20);
        Directory.CreateDirectory(Path.GetDirectoryName(store.PathOf(id))!);
        for (var i = 0; i < Iterations / 4; i++)
        {
            File.WriteAllBytes(store.PathOf(id), i == 0 ? seed : Mutate(seed, random));
            var outcome = "read";
            try
            {
                budget.Measure(() => store.Read(id, new byte[chunk.Length]));
            }
            catch (CasyncFormatException e)
            {
                outcome = Numbers().Replace(e.Message.Replace(store.PathOf(id), "PATH", StringComparison.Ordinal), "#");
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i} threw {e.GetType().Name}: {e}");
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        foreach (var (outcome, count) in outcomes.OrderByDescending(o => o.Value))
        {
            output.WriteLine($"{count,6} {outcome}");
        }

        Assert.True(outcomes.Count > 3, $"only {outcomes.Count} distinct outcomes");
        budget.AssertWithin();
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = seed.ToArray();
        switch (random.Next(5))
        {
            case 0:
                for (var n = random.Next(1, 4); n > 0; n--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                break;
            case 1:
                var at = random.Next(bytes.Length / 8) * 8;
                if (at + 8 <= bytes.Length)
                {
                    ulong value = random.Next(6) switch
                    {
                        0 => 0,
                        1 => ulong.MaxValue,
                        2 => 10_000_000,
                        3 => (ulong)random.Next(1, 1 << 20),
                        4 => 16 + (10_000_001UL * 40),
                        _ => (ulong)random.NextInt64(),
                    };
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), value);
                }

                break;
            case 2:
                return bytes[..random.Next(bytes.Length)];
            case 3:
                return [.. bytes, .. new byte[random.Next(1, 100)]];
            default:
                // Unchanged: the happy path must stay reachable.
                break;
        }

        return bytes;
    }

    [GeneratedRegex("[0-9a-f]{64}|0x[0-9a-f]+|[0-9]+")]
    private static partial Regex Numbers();
}
