using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Casync;

public sealed class ChunkStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Chunks_live_under_their_first_four_hex_digits_compressed_with_zstd()
    {
        var store = new ChunkStore(Path.Combine(_temp.Path, "default.castr"));
        var chunk = CasyncTestData.Random(70_000, 5);
        var id = ChunkId.Compute(chunk);
        Assert.True(store.Add(id, chunk));
        Assert.False(store.Add(id, chunk));
        var hex = id.ToString();
        var path = Path.Combine(_temp.Path, "default.castr", hex[..4], hex + ".cacnk");
        Assert.Equal(path, store.PathOf(id));
        Assert.Equal([0x28, 0xb5, 0x2f, 0xfd], File.ReadAllBytes(path)[..4]);
        Assert.Equal([id], store.Enumerate());

        var read = new byte[chunk.Length];
        store.Read(id, read);
        Assert.Equal(chunk, read);

        store.Remove(id);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
        Assert.Empty(store.Enumerate());
    }

    [Fact]
    public void Compressing_the_same_chunk_gives_the_same_bytes()
    {
        var chunk = CasyncTestData.Random(100_000, 6);
        Assert.Equal(ChunkStore.Compress(chunk), ChunkStore.Compress(chunk));
    }

    [Fact]
    public void Files_that_are_not_chunks_are_not_enumerated()
    {
        var store = new ChunkStore(_temp.Path);
        var id = ChunkId.Compute("a"u8);
        store.Add(id, "a"u8);
        var directory = Path.GetDirectoryName(store.PathOf(id))!;
        File.WriteAllText(Path.Combine(directory, "README.cacnk"), "x");
        File.WriteAllText(Path.Combine(directory, ChunkId.Compute("b"u8) + ".cacnk"), "wrong directory");
        File.WriteAllText(Path.Combine(directory, id + ".cacnk.tmp"), "x");
        Assert.Equal([id], store.Enumerate());
    }

    public static TheoryData<string, string> Hostile => new()
    {
        { "missing", "is missing from the store" },
        { "other bytes", "holds bytes whose SHA-512/256 is ID, not its name" },
        { "not zstd", "is not zstd data of at most 65536 bytes (Unknown frame descriptor)" },
        { "empty", "decompresses to 0 bytes, not the 65536 its index says" },
        { "shorter", "decompresses to 65535 bytes, not the 65536 its index says" },
        { "bomb", "is not zstd data of at most 65536 bytes (Destination buffer is too small)" },
        { "bomb without size", "is not zstd data of at most 65536 bytes (Destination buffer is too small)" },
        { "oversized file", "is 1048576 bytes, more than zstd needs for the 65536 bytes it must hold" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_chunks_end_in_one_line_naming_the_file(string mutation, string problem)
    {
        var store = new ChunkStore(_temp.Path);
        var chunk = CasyncTestData.Random(65536, 8);
        var id = ChunkId.Compute(chunk);
        var path = store.PathOf(id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var other = CasyncTestData.Random(65536, 9);
        switch (mutation)
        {
            case "missing":
                break;
            case "other bytes":
                File.WriteAllBytes(path, ChunkStore.Compress(other));
                problem = problem.Replace("ID", ChunkId.Compute(other).ToString(), StringComparison.Ordinal);
                break;
            case "not zstd":
                File.WriteAllBytes(path, chunk[..1000]);
                break;
            case "empty":
                File.WriteAllBytes(path, []);
                break;
            case "shorter":
                File.WriteAllBytes(path, ChunkStore.Compress(chunk[..65535]));
                break;
            case "bomb":
                File.WriteAllBytes(path, ChunkStore.Compress(new byte[64 << 20]));
                break;
            case "bomb without size":
                // Two frames, each within the bound, that together exceed it.
                File.WriteAllBytes(path, [.. ChunkStore.Compress(new byte[40000]), .. ChunkStore.Compress(new byte[40000])]);
                break;
            case "oversized file":
                File.WriteAllBytes(path, new byte[1 << 20]);
                break;
        }

        var budget = new AllocationBudget(1 << 20);
        var error = Assert.Throws<CasyncFormatException>(() => budget.Measure(() => store.Read(id, new byte[65536])));
        Assert.Equal($"The chunk '{path}' {problem}.", error.Message);
        budget.AssertWithin();
    }
}
