using System.Diagnostics;
using System.Text;
using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Casync;

public sealed class CasyncChunkerTests(ITestOutputHelper output)
{
    // `casync make --store=S r1.caibx r1` (casync 2, Debian 12) of CasyncTestData.Random(1 MiB, seed 1):
    // the end offsets of its items, and the ID of its first chunk.
    private static readonly long[] RandomMegabyteEnds =
    [
        23979, 46251, 101839, 241957, 271048, 312232, 349451, 403033, 436028, 462307, 499397, 729773, 747499,
        804589, 845615, 862283, 946403, 1048576,
    ];

    private const string RandomMegabyteFirstChunk = "895f2c49a4ce2c367877814e064ba97b2c6bf5c5d39db290a236a9d466e4a65c";

    [Fact]
    public void Default_sizes_and_discriminator_are_casyncs()
    {
        var sizes = ChunkSizeLimits.Default;
        Assert.Equal((16384L, 65536L, 262144L), (sizes.Minimum, sizes.Average, sizes.Maximum));
        Assert.Equal(49535u, sizes.Discriminator);
    }

    [Fact]
    public void Discriminator_is_clamped_into_minimum_and_maximum()
    {
        Assert.Equal(8192u, new ChunkSizeLimits(8192, 8192, 8192).Discriminator);
        Assert.Equal(60000u, new ChunkSizeLimits(60000, 65536, 262144).Discriminator);
    }

    [Theory]
    [InlineData(0, 1, 2)]
    [InlineData(3, 2, 4)]
    [InlineData(1, 4, 3)]
    [InlineData(1, 2, (128L << 20) + 1)]
    public void Chunk_sizes_outside_casyncs_rules_are_refused(long minimum, long average, long maximum) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChunkSizeLimits(minimum, average, maximum));

    [Fact]
    public void Chunk_ids_are_sha512_256()
    {
        Assert.Equal("c672b8d1ef56ed28ab87c3622c5114069bdd3ad7b8f9737498d0c01ecef0967a", ChunkId.Compute([]).ToString());
        Assert.Equal("53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23", ChunkId.Compute("abc"u8).ToString());
    }

    [Fact]
    public void Chunk_ids_agree_with_bouncycastles_sha512_256()
    {
        var data = CasyncTestData.Random(300_000, 2);
        foreach (var length in new[] { 0, 1, 111, 112, 127, 128, 129, 65536, 262144, 300_000 })
        {
            var digest = new Org.BouncyCastle.Crypto.Digests.Sha512tDigest(256);
            digest.BlockUpdate(data, 0, length);
            var expected = new byte[32];
            digest.DoFinal(expected, 0);
            Assert.Equal(Convert.ToHexStringLower(expected), ChunkId.Compute(data.AsSpan(0, length)).ToString());
        }
    }

    [Fact]
    public void Chunk_ids_round_trip_through_hex_and_bytes()
    {
        var id = ChunkId.Compute("abc"u8);
        Assert.Equal(id, ChunkId.TryParse(id.ToString()));
        Assert.Equal(id, ChunkId.TryParse(id.ToString().ToUpperInvariant()));
        var bytes = new byte[ChunkId.Size];
        id.WriteTo(bytes);
        Assert.Equal(id, ChunkId.Read(bytes));
        Assert.Null(ChunkId.TryParse(id.ToString().AsSpan(1)));
        Assert.Null(ChunkId.TryParse(" " + id.ToString()[1..]));
        Assert.Null(ChunkId.TryParse(id.ToString()[..63] + "g"));
    }

    [Fact]
    public void Cuts_a_random_megabyte_where_casync_make_cut_it()
    {
        var data = CasyncTestData.Random(1 << 20, 1);
        Assert.Equal(RandomMegabyteEnds, Ends(data, ChunkSizeLimits.Default, data.Length));
        Assert.Equal(RandomMegabyteFirstChunk, ChunkId.Compute(data.AsSpan(0, (int)RandomMegabyteEnds[0])).ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(47)]
    [InlineData(48)]
    [InlineData(49)]
    [InlineData(4093)]
    [InlineData(16336)]
    [InlineData(65536)]
    public void Cuts_do_not_depend_on_how_the_input_is_split(int piece)
    {
        var data = CasyncTestData.Random(1 << 20, 1);
        Assert.Equal(RandomMegabyteEnds, Ends(data, ChunkSizeLimits.Default, piece));
    }

    [Fact]
    public void Zeros_are_cut_at_the_maximum_size()
    {
        var data = new byte[1_000_000];
        Assert.Equal([262144L, 524288, 786432, 1000000], Ends(data, ChunkSizeLimits.Default, 100_000));
    }

    [Fact]
    public void Equal_sizes_cut_fixed_size_chunks()
    {
        var data = CasyncTestData.Random(10_000, 3);
        Assert.Equal([4096L, 8192, 10000], Ends(data, new ChunkSizeLimits(4096, 4096, 4096), 1000));
    }

    [Fact]
    public void A_minimum_below_the_window_cuts_no_earlier_than_a_full_window()
    {
        // casync tests the hash first when the 48-byte window is full, so no chunk is shorter than 48 bytes.
        List<long> ends = [0, .. Ends(CasyncTestData.Random(1 << 16, 4), new ChunkSizeLimits(1, 64, 256), 4096)];
        var sizes = ends.Zip(ends.Skip(1), (start, end) => end - start).SkipLast(1).ToList();
        Assert.All(sizes, size => Assert.InRange(size, 48, 256));
        Assert.Contains(48, sizes);
        Assert.Contains(sizes, size => size < 256);
    }

    [Fact]
    public async Task Indexing_streams_a_gigabyte_without_holding_it()
    {
        const long length = 1L << 30;
        var budget = new AllocationBudget(16L << 20);
        CasyncIndex? index = null;
        var clock = Stopwatch.StartNew();
        await Task.Yield();
        budget.Measure(() => index = CasyncBlob.IndexAsync(new CasyncTestData.GeneratedStream(length, 7), null, ChunkSizeLimits.Default, TestContext.Current.CancellationToken).GetAwaiter().GetResult());
        clock.Stop();
        output.WriteLine($"indexing (chunker + SHA-512/256) of 1 GiB: {length / clock.Elapsed.TotalSeconds / 1e6:F0} MB/s, {index!.Chunks.Count} chunks, {budget}");
        budget.AssertWithin();
        Assert.Equal(length, index.BlobSize);
        Assert.InRange(index.Chunks.Count, length / (200 << 10), length / (60 << 10));
    }

    [Fact]
    public void Chunker_throughput()
    {
        var data = CasyncTestData.Random(64 << 20, 9);
        var chunker = new CasyncChunker(ChunkSizeLimits.Default);
        var cuts = 0;
        var clock = Stopwatch.StartNew();
        for (var position = 0; position < data.Length;)
        {
            var cut = chunker.Scan(data.AsSpan(position));
            if (cut < 0)
            {
                break;
            }

            cuts++;
            position += cut;
        }

        clock.Stop();
        var hashClock = Stopwatch.StartNew();
        for (var position = 0; position < data.Length; position += 1 << 16)
        {
            ChunkId.Compute(data.AsSpan(position, 1 << 16));
        }

        hashClock.Stop();
        output.WriteLine(new StringBuilder()
            .Append($"chunker alone: {data.Length / clock.Elapsed.TotalSeconds / 1e6:F0} MB/s ({cuts} cuts in 64 MiB); ")
            .Append($"SHA-512/256 alone: {data.Length / hashClock.Elapsed.TotalSeconds / 1e6:F0} MB/s")
            .ToString());
        Assert.InRange(cuts, 64 << 20 >> 18, 64 << 20 >> 14);
    }

    private static List<long> Ends(byte[] data, ChunkSizeLimits sizes, int piece)
    {
        var chunker = new CasyncChunker(sizes);
        var ends = new List<long>();
        for (var position = 0; position < data.Length;)
        {
            var length = Math.Min(piece, data.Length - position);
            var cut = chunker.Scan(data.AsSpan(position, length));
            if (cut < 0)
            {
                position += length;
            }
            else
            {
                Assert.InRange(cut, 1, length);
                position += cut;
                ends.Add(position);
            }
        }

        if (ends.Count == 0 || ends[^1] != data.Length)
        {
            ends.Add(data.Length);
        }

        return ends;
    }
}
