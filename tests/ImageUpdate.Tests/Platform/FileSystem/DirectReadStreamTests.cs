using ImageUpdate.Foundation.Streams;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Platform.Btrfs;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.FileSystem;

/// <summary>
/// <see cref="DirectReadStream"/> on a real BTRFS (where staged payloads are read): every byte comes
/// back whatever the sizes of the reads, and reads into aligned buffers leave the file out of the page
/// cache (fincore counts its cached pages), which is the point of it. (BTRFS on Linux 6.18 still reads
/// the first 8 MiB of a file through the cache when asked for O_DIRECT; dd iflag=direct does the same.)
/// </summary>
[Collection(BtrfsCollection.Name)]
public sealed class DirectReadStreamTests(BtrfsLoopMount btrfs)
{
    public static TheoryData<int> AwkwardSizes => [0, 1, 4095, 4096, 4097, (1 << 20) + 123, (5 << 20) + 7];

    [Theory]
    [MemberData(nameof(AwkwardSizes))]
    public async Task Aligned_reads_return_every_byte(int size)
    {
        var (path, expected) = await WriteUncached(size);
        using var buffer = new AlignedBuffer(4 << 20);
        var actual = new MemoryStream();
        await using (var stream = new DirectReadStream(File.OpenHandle(path)))
        {
            Assert.True(stream.IsDirect, "BTRFS takes O_DIRECT");
            Assert.Equal(size, stream.ExpectedLength);
            int read;
            while ((read = await stream.ReadAsync(buffer.Memory, TestContext.Current.CancellationToken)) > 0)
            {
                actual.Write(buffer.GetSpan()[..read]);
            }
        }

        Assert.Equal(expected, actual.ToArray());
    }

    [Fact]
    public async Task Aligned_reads_leave_the_file_out_of_the_page_cache()
    {
        var (path, _) = await WriteUncached(64 << 20);
        using var buffer = new AlignedBuffer(4 << 20);
        await using (var stream = new DirectReadStream(File.OpenHandle(path)))
        {
            while (await stream.ReadAsync(buffer.Memory, TestContext.Current.CancellationToken) > 0)
            {
            }
        }

        Assert.InRange(CachedBytes(path), 0, 16 << 20);

        // The control: an ordinary read of the same file leaves all of it cached.
        TestProcess.Run("dd", [$"if={path}", "iflag=nocache", "count=0", "status=none"]);
        await using (var stream = File.OpenRead(path))
        {
            await stream.CopyToAsync(Stream.Null, TestContext.Current.CancellationToken);
        }

        Assert.Equal(64 << 20, CachedBytes(path));
    }

    [Theory]
    [MemberData(nameof(AwkwardSizes))]
    public async Task Small_and_unaligned_reads_go_through_the_bounce_buffer_and_return_every_byte(int size)
    {
        var (path, expected) = await WriteUncached(size);
        var actual = new MemoryStream();
        await using (var stream = new DirectReadStream(File.OpenHandle(path)))
        {
            // Odd lengths and an unaligned managed array, sync and async in turn.
            var chunk = new byte[7001];
            for (var turn = 0; ; turn++)
            {
                var read = turn % 2 == 0
                    ? stream.Read(chunk.AsSpan(1, 3000 + (turn % 5)))
                    : await stream.ReadAsync(chunk.AsMemory(3, 5000), TestContext.Current.CancellationToken);
                if (read == 0)
                {
                    break;
                }

                actual.Write(chunk.AsSpan(turn % 2 == 0 ? 1 : 3, read));
            }

            Assert.False(stream.IsDirect, "after the end, reads go through the cache");
        }

        Assert.Equal(expected, actual.ToArray());
    }

    [Fact]
    public async Task Aligned_and_small_reads_mixed_keep_the_offsets_right()
    {
        var (path, expected) = await WriteUncached((3 << 20) + 555);
        using var aligned = new AlignedBuffer(1 << 20);
        var small = new byte[100];
        var actual = new MemoryStream();
        await using (var stream = new DirectReadStream(File.OpenHandle(path)))
        {
            for (var turn = 0; ; turn++)
            {
                var memory = turn % 3 == 1 ? small.AsMemory() : aligned.Memory;
                var read = await stream.ReadAsync(memory, TestContext.Current.CancellationToken);
                if (read == 0)
                {
                    break;
                }

                actual.Write(memory.Span[..read]);
            }
        }

        Assert.Equal(expected, actual.ToArray());
    }

    private async Task<(string Path, byte[] Bytes)> WriteUncached(int size)
    {
        btrfs.Require();
        var path = btrfs.NewPath("direct");
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);
        // Written back, then dropped from the cache (dd's nocache is posix_fadvise DONTNEED).
        TestProcess.Run("sync", [path]);
        TestProcess.Run("dd", [$"if={path}", "iflag=nocache", "count=0", "status=none"]);
        Assert.Equal(0, CachedBytes(path));
        return (path, bytes);
    }

    private static long CachedBytes(string path) =>
        long.Parse(TestProcess.Run("fincore", ["--bytes", "--noheadings", "--output=RES", path]).Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
