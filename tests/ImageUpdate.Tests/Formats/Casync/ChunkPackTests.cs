using System.Buffers.Binary;
using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Casync;

public sealed class ChunkPackTests
{
    private const string Name = "/staging/chunks.capack";

    [Fact]
    public async Task A_pack_round_trips_its_chunks_whatever_order_they_were_added_in()
    {
        var chunks = Chunks(5);
        var bytes = Pack(chunks.AsEnumerable().Reverse());

        var pack = ChunkPack.Read(new MemoryStream(bytes), Name);
        Assert.Equal(chunks.Select(c => c.Id).Order(), pack.Ids);
        using var source = new PackChunkSource(new MemoryStream(bytes), Name);
        foreach (var (id, data) in chunks)
        {
            var read = new byte[data.Length];
            Assert.True(await source.TryReadAsync(new IndexedChunk(0, data.Length, id), read, TestContext.Current.CancellationToken));
            Assert.Equal(data, read);
        }

        Assert.False(await source.TryReadAsync(new IndexedChunk(0, 1, ChunkId.Compute("absent"u8)), new byte[1], TestContext.Current.CancellationToken));
    }

    [Fact]
    public void An_empty_pack_is_a_header_and_a_trailer()
    {
        var bytes = Pack([]);
        Assert.Equal(32, bytes.Length);
        Assert.Equal("IUCAPACK"u8.ToArray(), bytes[..8]);
        Assert.Equal("IUCAPEND"u8.ToArray(), bytes[^8..]);
        Assert.Equal(0, ChunkPack.Read(new MemoryStream(bytes), Name).Count);
    }

    [Fact]
    public void The_layout_is_the_documented_one()
    {
        var chunks = Chunks(2);
        var bytes = Pack(chunks);
        var stored = chunks.Select(c => ChunkStore.Compress(c.Data)).ToArray();
        var tableStart = 16 + stored[0].Length + stored[1].Length;
        Assert.Equal(tableStart + (2 * 48) + 16, bytes.Length);
        Assert.Equal(stored[0], bytes[16..(16 + stored[0].Length)]);
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bytes.Length - 16)));
        var first = chunks[0].Id.CompareTo(chunks[1].Id) < 0 ? 0 : 1;
        Assert.Equal(chunks[first].Id, ChunkId.Read(bytes.AsSpan(tableStart)));
        Assert.Equal(first == 0 ? 16UL : (ulong)(16 + stored[0].Length), BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(tableStart + 32)));
        Assert.Equal((ulong)stored[first].Length, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(tableStart + 40)));
    }

    public static TheoryData<string, string> Hostile => new()
    {
        { "empty file", "is 0 bytes, shorter than a pack's 32-byte header and trailer" },
        { "truncated", "does not end with a chunk pack trailer (marker 0x#)" },
        { "truncated in the trailer", "does not end with a chunk pack trailer (marker 0x#)" },
        { "wrong magic", "does not start with a chunk pack header (magic 0x4b43415041435548, flags 0x0000000000000000)" },
        { "flags", "does not start with a chunk pack header (magic 0x4b43415041435549, flags 0x0000000000000001)" },
        { "huge count", "claims 10000000 chunks, more than the 2097152 allowed" },
        { "count past the file", "claims 100000 chunks, more than its # bytes can hold" },
        { "count one more", "gives chunk # # bytes, not 1 to #" },
        { "overlapping", "places chunk # at #, overlapping the chunk that ends at #" },
        { "gap", "leaves bytes #..# before chunk # unaccounted for" },
        { "out of order", "lists chunk # after #: the table must be in strictly ascending order" },
        { "duplicate id", "lists chunk # after #: the table must be in strictly ascending order" },
        { "zero length", "gives chunk # 0 bytes, not 1 to #" },
        { "huge length", "gives chunk # 18446744073709551615 bytes, not 1 to #" },
        { "offset past the table", "places chunk # at #..#, outside its data area 16..#" },
        { "offset wraps", "places chunk # at 18446744073709551615..#, outside its data area 16..#" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_packs_end_in_one_line_naming_the_file(string mutation, string problem)
    {
        // In ID order, so that table entry i is also the i-th chunk of the data area.
        var bytes = Pack(Chunks(3).OrderBy(c => c.Id));
        var table = bytes.Length - 16 - (3 * 48);
        switch (mutation)
        {
            case "empty file":
                bytes = [];
                break;
            case "truncated":
                bytes = bytes[..^20];
                break;
            case "truncated in the trailer":
                bytes = bytes[..^3];
                break;
            case "wrong magic":
                bytes[0] ^= 1;
                break;
            case "flags":
                bytes[8] = 1;
                break;
            case "huge count":
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 16), 10_000_000);
                break;
            case "count past the file":
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 16), 100_000);
                break;
            case "count one more":
                // The last chunk's bytes become a fourth "entry".
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 16), 4);
                break;
            case "overlapping":
                Offset(bytes, table, 1, Offset(bytes, table, 1) - 1);
                break;
            case "gap":
                Offset(bytes, table, 1, Offset(bytes, table, 1) + 1);
                Length(bytes, table, 1, Length(bytes, table, 1) - 1);
                break;
            case "out of order":
                var second = bytes[(table + 48)..(table + 96)];
                bytes.AsSpan(table, 48).CopyTo(bytes.AsSpan(table + 48));
                second.CopyTo(bytes.AsSpan(table));
                break;
            case "duplicate id":
                bytes.AsSpan(table, 32).CopyTo(bytes.AsSpan(table + 48));
                break;
            case "zero length":
                Length(bytes, table, 0, 0);
                break;
            case "huge length":
                Length(bytes, table, 0, ulong.MaxValue);
                break;
            case "offset past the table":
                Offset(bytes, table, 2, (ulong)table);
                break;
            case "offset wraps":
                Offset(bytes, table, 2, ulong.MaxValue);
                break;
        }

        var budget = new AllocationBudget(64 << 10);
        var error = Assert.Throws<CasyncFormatException>(() => budget.Measure(() => ChunkPack.Read(new MemoryStream(bytes), Name)));
        Assert.Matches($"^{Pattern($"The chunk pack '{Name}' {problem}.")}$", error.Message);
        budget.AssertWithin();
    }

    public static TheoryData<string, string> BadChunks => new()
    {
        { "other bytes", "holds bytes whose SHA-512/256 is #, not its name" },
        { "bomb", "is not zstd data of at most 65536 bytes (Destination buffer is too small)" },
        { "too large for its size", "is # bytes, more than zstd needs for the 65536 bytes it must hold" },
        { "not zstd", "is not zstd data of at most 65536 bytes (Unknown frame descriptor)" },
    };

    [Theory]
    [MemberData(nameof(BadChunks))]
    public async Task A_bad_chunk_in_a_pack_is_refused_naming_the_pack_and_the_chunk(string mutation, string problem)
    {
        var chunk = CasyncTestData.Random(65536, 21);
        var id = ChunkId.Compute(chunk);
        var stored = mutation switch
        {
            "other bytes" => ChunkStore.Compress(CasyncTestData.Random(65536, 22)),
            "bomb" => ChunkStore.Compress(new byte[64 << 20]),
            "too large for its size" => new byte[1 << 20],
            _ => chunk[..1000],
        };
        var stream = new MemoryStream();
        var writer = new ChunkPackWriter(stream);
        writer.Add(id, stored);
        writer.Complete();
        using var source = new PackChunkSource(new MemoryStream(stream.ToArray()), Name);

        var error = await Assert.ThrowsAsync<CasyncFormatException>(async () => await source.TryReadAsync(new IndexedChunk(0, 65536, id), new byte[65536], TestContext.Current.CancellationToken));
        Assert.Matches($"^{Pattern($"The chunk '{Name}:{id}' {problem}.")}$", error.Message);
    }

    [Fact]
    public void A_writer_refuses_a_chunk_twice()
    {
        var writer = new ChunkPackWriter(new MemoryStream());
        writer.Add(ChunkId.Compute("a"u8), ChunkStore.Compress("a"u8));
        Assert.Throws<ArgumentException>(() => writer.Add(ChunkId.Compute("a"u8), ChunkStore.Compress("a"u8)));
    }

    [Fact]
    public void Untrusted_names_are_escaped()
    {
        var error = Assert.Throws<CasyncFormatException>(() => ChunkPack.Read(new MemoryStream([1]), "a\u001b[31m.capack"));
        Assert.DoesNotContain('\u001b', error.Message);
    }

    internal static List<(ChunkId Id, byte[] Data)> Chunks(int count) =>
        [.. Enumerable.Range(0, count).Select(i => CasyncTestData.Random(20_000 + (i * 1000), (ulong)(100 + i))).Select(d => (ChunkId.Compute(d), d))];

    internal static byte[] Pack(IEnumerable<(ChunkId Id, byte[] Data)> chunks)
    {
        var stream = new MemoryStream();
        var writer = new ChunkPackWriter(stream);
        foreach (var (id, data) in chunks)
        {
            writer.Add(id, ChunkStore.Compress(data));
        }

        writer.Complete();
        return stream.ToArray();
    }

    private static ulong Offset(byte[] bytes, int table, int entry) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(table + (entry * 48) + 32));

    private static void Offset(byte[] bytes, int table, int entry, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(table + (entry * 48) + 32), value);

    private static ulong Length(byte[] bytes, int table, int entry) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(table + (entry * 48) + 40));

    private static void Length(byte[] bytes, int table, int entry, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(table + (entry * 48) + 40), value);

    // The expected message with '#' standing for any number, hex digits or ID.
    private static string Pattern(string message) => string.Join("[0-9a-f]+", message.Split('#').Select(System.Text.RegularExpressions.Regex.Escape));
}
