using ImageUpdate.Formats.Verity;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Verity;

public sealed class VerityHashTreeTests
{
    // Awkward sizes against veritysetup 2.6: a single block (no tree level at all), one short level,
    // a level boundary crossed by one block, three levels with 4096-byte data and small hash blocks,
    // three levels with the defaults (64 MiB), 1024/512-byte blocks, mixed sizes; salts given in hex,
    // empty ("-") and left to veritysetup (random, read back from its superblock).
    [Theory]
    [InlineData(1, 4096, 4096, "-")]
    [InlineData(1, 4096, 4096, null)]
    [InlineData(127, 4096, 4096, "00112233445566778899aabbccddeeff")]
    [InlineData(128, 4096, 4096, null)]
    [InlineData(129, 4096, 4096, "-")]
    [InlineData(257, 4096, 512, "5a")]
    [InlineData(16385, 4096, 4096, null)]
    [InlineData(1000, 1024, 1024, null)]
    [InlineData(4099, 512, 512, "-")]
    [InlineData(3001, 512, 4096, "deadbeef")]
    [InlineData(77, 4096, 1024, null)]
    public void The_hash_device_and_root_hash_are_veritysetups(int blocks, int dataBlockSize, int hashBlockSize, string? salt)
    {
        Veritysetup.Require();
        using var temp = new TempDirectory();
        var data = RandomData(blocks * dataBlockSize, blocks);
        File.WriteAllBytes(temp["data"], data);
        var expectedRoot = Veritysetup.Format(temp["data"], temp["reference"], dataBlockSize, hashBlockSize, salt);
        var reference = File.ReadAllBytes(temp["reference"]);
        var saltBytes = VeritySuperblock.Read(reference, "reference").Parameters.Salt;

        using var builder = new VerityHashTreeBuilder(new VerityParameters(dataBlockSize, hashBlockSize, saltBytes, Guid.Parse(Veritysetup.Uuid)), data.Length);
        builder.Append(data);
        var ours = builder.ToHashDevice();

        Assert.Equal(expectedRoot, Convert.ToHexStringLower(builder.RootHash.Span));
        Assert.Equal(reference.Length, ours.Length);
        Assert.True(reference.AsSpan().SequenceEqual(ours), "hash device bytes differ from veritysetup's");

        File.WriteAllBytes(temp["ours"], ours);
        var verify = Veritysetup.Verify(temp["data"], temp["ours"], expectedRoot);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public void Data_fed_in_odd_pieces_gives_the_same_tree_as_in_one_piece()
    {
        var parameters = new VerityParameters(4096, 4096, new byte[] { 1, 2, 3 }, Guid.Empty);
        var data = RandomData(300 * 4096, 7);
        using var whole = new VerityHashTreeBuilder(parameters, data.Length);
        whole.Append(data);

        using var pieces = new VerityHashTreeBuilder(parameters, data.Length);
        var rest = data.AsSpan();
        int[] sizes = [1, 7, 4095, 4096, 4097, 10000, 3];
        for (var i = 0; !rest.IsEmpty; i++)
        {
            var take = Math.Min(sizes[i % sizes.Length], rest.Length);
            pieces.Append(rest[..take]);
            rest = rest[take..];
        }

        Assert.Equal(whole.ToHashDevice(), pieces.ToHashDevice());
        Assert.Equal(whole.RootHash.ToArray(), pieces.RootHash.ToArray());
    }

    [Fact]
    public async Task The_hashing_stream_passes_every_byte_through_while_it_hashes()
    {
        var parameters = new VerityParameters(4096, 4096, new byte[] { 9 }, Guid.Empty);
        var data = RandomData(20 * 4096, 3);
        using var direct = new VerityHashTreeBuilder(parameters, data.Length);
        direct.Append(data);

        using var builder = new VerityHashTreeBuilder(parameters, data.Length);
        using var sink = new MemoryStream();
        await using (var stream = new VerityHashingStream(sink, builder))
        {
            await stream.WriteAsync(data.AsMemory(0, 5000), TestContext.Current.CancellationToken);
            stream.Write(data, 5000, data.Length - 5000);
        }

        Assert.Equal(data, sink.ToArray());
        Assert.Equal(direct.Complete().ToArray(), builder.Complete().ToArray());
    }

    [Fact]
    public void A_tree_refuses_more_or_less_data_than_it_was_started_for()
    {
        var parameters = new VerityParameters(512, 512, ReadOnlyMemory<byte>.Empty, Guid.Empty);
        Assert.Throws<ArgumentException>(() => new VerityHashTreeBuilder(parameters, 1000));
        using var builder = new VerityHashTreeBuilder(parameters, 1024);
        builder.Append(new byte[1000]);
        Assert.Throws<InvalidOperationException>(() => builder.Complete());
        Assert.Throws<InvalidOperationException>(() => builder.Append(new byte[25]));
    }

    [Theory]
    [InlineData(1, 4096, 0, 0L)]
    [InlineData(2, 4096, 1, 1L)]
    [InlineData(128, 4096, 1, 1L)]
    [InlineData(129, 4096, 2, 3L)]
    [InlineData(16385, 4096, 3, 129L + 2 + 1)]
    public void The_layout_has_the_levels_libcryptsetup_computes(long dataBlocks, int hashBlockSize, int levels, long treeBlocks)
    {
        var layout = VerityTreeLayout.For(dataBlocks, hashBlockSize);
        Assert.Equal(levels, layout.Levels);
        Assert.Equal(treeBlocks, layout.TreeBlocks);
        Assert.Equal(hashBlockSize + (treeBlocks * hashBlockSize), layout.HashDeviceSize);
        if (levels > 0)
        {
            Assert.Equal(0, layout.LevelStarts[levels - 1]);
            Assert.Equal(1, layout.LevelBlocks[levels - 1]);
        }
    }

    internal static byte[] RandomData(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
