using ImageUpdate.Formats.Casync;

namespace ImageUpdate.Tests.Formats.Casync;

public sealed partial class CasyncFuzzTests
{
    [Fact]
    public void Mutated_packs_raise_only_CasyncFormatException()
    {
        // Compressible chunks, so that mutations of the data area hit zstd's headers and tables too.
        var chunks = Enumerable.Range(0, 4).Select(i => CasyncTestData.Random(30_000, (ulong)(40 + i)).Select(b => (byte)(b & 7)).ToArray()).Select(d => (ChunkId.Compute(d), d)).ToList();
        byte[][] seeds = [ChunkPackTests.Pack(chunks), ChunkPackTests.Pack(chunks.Take(1)), ChunkPackTests.Pack([])];
        var buffer = new byte[30_000];
        Fuzz(seeds, new Random(0xCA9C), bytes =>
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
}
