using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Casync;

public sealed partial class CasyncFuzzTests
{
    [Fact]
    public void Mutated_packs_raise_only_CasyncFormatException()
    {
        // Compressible chunks, so that mutations of the data area hit zstd's headers and tables too.
        var chunks = Enumerable.Range(0, 4).Select(i => CasyncTestData.Random(30_000, (ulong)(40 + i)).Select(b => (byte)(b & 7)).ToArray()).Select(d => (ChunkId.Compute(d), d)).ToList();
        byte[][] seeds = [ChunkPackTests.Pack(chunks), ChunkPackTests.Pack(chunks.Take(1)), ChunkPackTests.Pack([])];
        var random = new Random(0xCA9C);
        var outcomes = new Dictionary<string, int>();
        var budget = new AllocationBudget(1L << 20);
        var buffer = new byte[30_000];
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = Mutate(seeds[i % seeds.Length], random);
            var outcome = "read";
            try
            {
                budget.Measure(() =>
                {
                    var stream = new MemoryStream(bytes);
                    var pack = ChunkPack.Read(stream, "fuzz.capack");
                    foreach (var (id, data) in chunks)
                    {
                        if (pack.TryRead(stream, new IndexedChunk(0, data.Length, id), buffer))
                        {
                            Assert.Equal(data, buffer);
                        }
                    }
                });
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
}
