using System.Buffers.Binary;
using ImageUpdate.Formats.Casync;

namespace ImageUpdate.Tests.Formats.Casync;

public sealed class CasyncIndexTests
{
    // `casync make --store=S e.caibx e` of an empty file (casync 2): head, no items, tail.
    private const string EmptyIndexHex =
        "3000000000000000f99f127b9c4d8296" + "00000000000000b00040000000000000" +
        "00000100000000000000040000000000" + "ffffffffffffffff7d41172f119e5be7" +
        "00000000000000000000000000000000" + "30000000000000003800000000000000" + "d1ec49550e054f4b";

    [Fact]
    public void An_empty_blob_is_written_as_casync_writes_it()
    {
        var index = new CasyncIndex(CasyncIndex.BlobFeatureFlags, ChunkSizeLimits.Default, []);
        Assert.Equal(EmptyIndexHex, Convert.ToHexStringLower(Write(index)));
        Assert.Equal(104, index.FileLength);
    }

    [Fact]
    public async Task Indexes_round_trip()
    {
        var data = CasyncTestData.Random(1 << 20, 1);
        var index = await CasyncBlob.IndexAsync(new MemoryStream(data), null, ChunkSizeLimits.Default, TestContext.Current.CancellationToken);
        var bytes = Write(index);
        Assert.Equal(index.FileLength, bytes.Length);
        var read = CasyncIndex.Read(new MemoryStream(bytes), "r1.caibx");
        Assert.Equal(index.Chunks, read.Chunks);
        Assert.Equal(index.Sizes, read.Sizes);
        Assert.Equal(index.FeatureFlags, read.FeatureFlags);
        Assert.Equal(data.Length, read.BlobSize);
        Assert.Equal(bytes, Write(read));
    }

    public static TheoryData<string, string> Hostile => new()
    {
        { "truncated head", "ends within its first 64 bytes" },
        { "truncated table", "ends after 2 chunk items without its table tail" },
        { "no tail", "ends after 3 chunk items without its table tail" },
        { "wrong magic", "does not start with a casync INDEX object of 48 bytes (size 0x30, type 0x96824d9c7b129ff8)" },
        { "wrong index size", "does not start with a casync INDEX object of 48 bytes (size 0x38, type 0x96824d9c7b129ff9)" },
        { "sha256 ids", "has feature flags 0x9000000000000000 without SHA512_256: SHA-256 chunk IDs are not supported" },
        { "minimum zero", "has chunk sizes 0/65536/262144, not 1 <= min <= avg <= max <= 134217728" },
        { "maximum absurd", "has chunk sizes 16384/65536/18446744073709551615, not 1 <= min <= avg <= max <= 134217728" },
        { "average above maximum", "has chunk sizes 16384/300000/262144, not 1 <= min <= avg <= max <= 134217728" },
        { "wrong table type", "has no TABLE object after its INDEX object (size 0xffffffffffffffff, type 0xe75b9e112f17417c)" },
        { "offsets not increasing", "has chunk 1 ending at 20000 after the previous one ended at 30000: chunks must grow by 1 to 262144 bytes" },
        { "chunk larger than maximum", "has chunk 0 ending at 262145 after the previous one ended at 0: chunks must grow by 1 to 262144 bytes" },
        { "tail claiming ten million chunks", "ends after 4 chunk items without its table tail" },
        { "trailing garbage", "has bytes after its table tail (after 3 chunks)" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_indexes_end_in_one_line_naming_the_file(string mutation, string problem)
    {
        var bytes = Mutate(ThreeChunks(), mutation);
        var error = Assert.Throws<CasyncFormatException>(() => CasyncIndex.Read(new MemoryStream(bytes), "/srv/v2/root.raw.caibx"));
        Assert.Equal($"The casync index '/srv/v2/root.raw.caibx' {problem}.", error.Message);
    }

    [Fact]
    public void More_chunks_than_allowed_are_refused_before_they_are_held()
    {
        var error = Assert.Throws<CasyncFormatException>(() => CasyncIndex.Read(new MemoryStream(ThreeChunks()), "x.caibx", maxChunks: 2));
        Assert.Equal("The casync index 'x.caibx' lists more than 2 chunks.", error.Message);
    }

    [Fact]
    public void Untrusted_names_are_escaped()
    {
        var error = Assert.Throws<CasyncFormatException>(() => CasyncIndex.Read(new MemoryStream([1]), "a\u001b[31m.caibx"));
        Assert.DoesNotContain('\u001b', error.Message);
    }

    internal static byte[] ThreeChunks()
    {
        var chunks = new List<IndexedChunk>
        {
            new(0, 30000, ChunkId.Compute("a"u8)),
            new(30000, 20000, ChunkId.Compute("b"u8)),
            new(50000, 5, ChunkId.Compute("c"u8)),
        };
        return Write(new CasyncIndex(CasyncIndex.BlobFeatureFlags, ChunkSizeLimits.Default, chunks));
    }

    internal static byte[] Write(CasyncIndex index)
    {
        var stream = new MemoryStream();
        index.WriteTo(stream);
        return stream.ToArray();
    }

    private static byte[] Mutate(byte[] bytes, string mutation)
    {
        var tail = bytes.Length - 40;
        switch (mutation)
        {
            case "truncated head":
                return bytes[..63];
            case "truncated table":
                return bytes[..(64 + 80 + 39)];
            case "no tail":
                return bytes[..tail];
            case "wrong magic":
                bytes[8] ^= 1;
                break;
            case "wrong index size":
                bytes[0] = 0x38;
                break;
            case "sha256 ids":
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), 0x9000000000000000);
                break;
            case "minimum zero":
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), 0);
                break;
            case "maximum absurd":
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(40), ulong.MaxValue);
                break;
            case "average above maximum":
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(32), 300000);
                break;
            case "wrong table type":
                bytes[56] ^= 1;
                break;
            case "offsets not increasing":
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(64 + 40), 20000);
                break;
            case "chunk larger than maximum":
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(64), 262145);
                break;
            case "tail claiming ten million chunks":
                // The tail's size no longer matches the three items, so it is read as a fourth item
                // (end offset 0 would fail that check first: make it a plausible one) and the file ends.
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(tail + 24), 16 + (10_000_001UL * 40));
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(tail), 50006);
                break;
            case "trailing garbage":
                return [.. bytes, 0];
            default:
                throw new ArgumentException(mutation);
        }

        return bytes;
    }
}
