using System.Security.Cryptography;
using ImageUpdate.Formats.Casync;
using ImageUpdate.Foundation.Hashing;

namespace ImageUpdate.Tests.Formats.Casync;

/// <summary>
/// The eight-lane AVX-512 SHA-512/256 against OpenSSL's (ChunkId.Compute), byte for byte: every length
/// around SHA-512's block and padding edges, casync's chunk sizes, and batches of mixed lengths that
/// make lanes finish and refill at different times; and the one-at-a-time fallback when it is off.
/// </summary>
public sealed class ChunkIdComputeManyTests
{
    /// <summary>Lengths at the edges of a 128-byte block and of the 17 bytes padding needs at least.</summary>
    public static TheoryData<int> EdgeLengths => [0, 1, 55, 56, 63, 64, 111, 112, 113, 127, 128, 129, 239, 240, 241, 255, 256, 257, 1023, 1024];

    /// <summary>Whether this CPU has what the fast path needs (the kernel saving ZMM state is taken for granted here).</summary>
    internal static bool CpuHasAvx512
    {
        get
        {
            var cpu = File.ReadAllText("/proc/cpuinfo");
            return cpu.Contains(" avx512f", StringComparison.Ordinal) && cpu.Contains(" avx512bw", StringComparison.Ordinal);
        }
    }

    [Fact]
    public void It_runs_wherever_the_CPU_has_AVX_512()
    {
        // The library is built with the tests; on a CPU with AVX-512F and BW the fast path must be taken.
        var expected = CpuHasAvx512 && Environment.GetEnvironmentVariable(MultiBufferSha512t256.DisableVariable) is null;
        Assert.Equal(expected, MultiBufferSha512t256.IsAvailable);
    }

    [Theory]
    [MemberData(nameof(EdgeLengths))]
    public void One_buffer_of_each_edge_length_hashes_as_OpenSSL_does(int length)
    {
        var data = RandomNumberGenerator.GetBytes(length + 3);
        AssertSameAsOpenSsl(data, [3], [length]);
    }

    [Fact]
    public void All_edge_lengths_in_one_batch_hash_as_OpenSSL_does()
    {
        var lengths = EdgeLengths.Select(row => (int)row.Data).ToArray();
        var (data, offsets) = Lay(lengths, new Random(1));
        AssertSameAsOpenSsl(data, offsets, lengths);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(7, 3)]
    [InlineData(8, 4)]
    [InlineData(9, 5)]
    [InlineData(33, 6)]
    [InlineData(100, 7)]
    public void Batches_of_casync_sized_chunks_hash_as_OpenSSL_does(int count, int seed)
    {
        var random = new Random(seed);
        var lengths = Enumerable.Range(0, count).Select(_ => random.Next(16 << 10, (256 << 10) + 1)).ToArray();
        lengths[0] = 256 << 10;
        lengths[^1] = 16 << 10;
        var (data, offsets) = Lay(lengths, random);
        AssertSameAsOpenSsl(data, offsets, lengths);
    }

    [Fact]
    public void Random_lengths_and_batch_sizes_hash_as_OpenSSL_does()
    {
        var random = new Random(42);
        for (var round = 0; round < 40; round++)
        {
            var lengths = Enumerable.Range(0, random.Next(1, 20)).Select(_ => random.Next(0, 3) switch
            {
                0 => random.Next(0, 300),
                1 => random.Next(0, 5000),
                _ => random.Next(16 << 10, 70 << 10),
            }).ToArray();
            var (data, offsets) = Lay(lengths, random);
            AssertSameAsOpenSsl(data, offsets, lengths);
        }
    }

    [Fact]
    public void Turned_off_it_declines_and_ComputeMany_hashes_one_by_one_with_the_same_result()
    {
        var lengths = new[] { 0, 111, 112, 65536, 240 };
        var (data, offsets) = Lay(lengths, new Random(3));
        var expected = lengths.Select((l, i) => ChunkId.Compute(data.AsSpan(offsets[i], l))).ToArray();

        MultiBufferSha512t256.Disabled = true;
        try
        {
            Assert.False(MultiBufferSha512t256.IsAvailable);
            Assert.False(MultiBufferSha512t256.TryCompute(data, offsets, lengths, new byte[lengths.Length * 32]));
            var ids = new ChunkId[lengths.Length];
            ChunkId.ComputeMany(data, offsets, lengths, ids);
            Assert.Equal(expected, ids);
        }
        finally
        {
            MultiBufferSha512t256.Disabled = Environment.GetEnvironmentVariable(MultiBufferSha512t256.DisableVariable) is not null;
        }
    }

    [Fact]
    public void A_range_outside_the_data_is_refused_before_any_native_code_runs()
    {
        var data = new byte[100];
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => MultiBufferSha512t256.TryCompute(data, [50], [51], new byte[32]));
    }

    private static void AssertSameAsOpenSsl(byte[] data, int[] offsets, int[] lengths)
    {
        // Without AVX-512 the fast path declines (and ComputeMany below still has to agree).
        var digests = new byte[offsets.Length * 32];
        if (MultiBufferSha512t256.TryCompute(data, offsets, lengths, digests))
        {
            for (var i = 0; i < offsets.Length; i++)
            {
                var expected = ChunkId.Compute(data.AsSpan(offsets[i], lengths[i]));
                Assert.True(expected == ChunkId.Read(digests.AsSpan(i * 32, 32)), $"buffer {i} of {offsets.Length}, {lengths[i]} bytes");
            }
        }
        else
        {
            Assert.False(MultiBufferSha512t256.IsAvailable);
        }

        var ids = new ChunkId[offsets.Length];
        ChunkId.ComputeMany(data, offsets, lengths, ids);
        Assert.Equal(offsets.Select((o, i) => ChunkId.Compute(data.AsSpan(o, lengths[i]))), ids);
    }

    /// <summary>The buffers one after another with random gaps (so none starts on a particular alignment), filled with random bytes.</summary>
    private static (byte[] Data, int[] Offsets) Lay(int[] lengths, Random random)
    {
        var offsets = new int[lengths.Length];
        var at = 0;
        for (var i = 0; i < lengths.Length; i++)
        {
            at += random.Next(0, 9);
            offsets[i] = at;
            at += lengths[i];
        }

        var data = new byte[at];
        random.NextBytes(data);
        return (data, offsets);
    }
}
