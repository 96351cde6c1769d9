using ImageUpdate.Formats.Compression;
using ImageUpdate.Tests.Platform.FileSystem;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Compression;

/// <summary>Fixtures are made at test time by the real gzip, xz, zstd and bzip2 tools (apt: gzip xz-utils zstd bzip2).</summary>
public sealed class DecompressionTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    public static TheoryData<CompressionKind> Kinds => new()
    {
        CompressionKind.Gzip,
        CompressionKind.Xz,
        CompressionKind.Zstd,
        CompressionKind.Bzip2,
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Open_decodes_what_the_command_line_tool_encoded(CompressionKind kind)
    {
        // Larger than the 1 MiB input buffer and mixing incompressible and repetitive runs, so the
        // decoder is refilled many times mid-block.
        var original = SampleData(3 * 1024 * 1024 + 17, seed: 1);
        var compressed = Compress(kind, original, "sample");

        using var stream = Decompression.Open(File.OpenRead(compressed), kind);

        Assert.Equal(original, ReadAll(stream));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task OpenAutoDetect_recognises_the_format_and_decodes_asynchronously_from_a_pipe(CompressionKind kind)
    {
        var original = SampleData(1024 * 1024 + 5, seed: 2);
        var compressed = Compress(kind, original, "sample");

        var (detected, stream) = await Decompression.OpenAutoDetectAsync(new TricklingStream(File.ReadAllBytes(compressed), 4093));
        await using (stream)
        {
            var output = new MemoryStream();
            await stream.CopyToAsync(output, 1 << 20);
            Assert.Equal(kind, detected);
            Assert.Equal(original, output.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Open_decodes_concatenated_streams_as_one_like_the_tools_do(CompressionKind kind)
    {
        var first = SampleData(700 * 1024, seed: 3);
        var second = SampleData(1500 * 1024, seed: 4);
        var joined = _directory.Combine("joined");
        using (var output = File.Create(joined))
        {
            output.Write(File.ReadAllBytes(Compress(kind, first, "first")));
            output.Write(File.ReadAllBytes(Compress(kind, second, "second")));
        }

        var (detected, stream) = Decompression.OpenAutoDetect(new TricklingStream(File.ReadAllBytes(joined), 65536));
        using (stream)
        {
            Assert.Equal(kind, detected);
            Assert.Equal([.. first, .. second], ReadAll(stream));
        }
    }

    [Fact]
    public void Open_decodes_a_zstd_file_made_of_many_small_frames()
    {
        var original = SampleData(2 * 1024 * 1024, seed: 5);
        var input = _directory.Combine("small-frames");
        File.WriteAllBytes(input, original);
        var compressed = input + ".zst";
        // --block-size splits the input into independent frames of 64 KiB.
        Tool.Run("zstd", ["-q", "--block-size=65536", "-c", input], compressed);

        using var stream = Decompression.Open(File.OpenRead(compressed), CompressionKind.Zstd);

        Assert.Equal(original, ReadAll(stream));
    }

    [Theory]
    [InlineData(CompressionKind.Gzip, 2)]
    [InlineData(CompressionKind.Gzip, 40)]
    [InlineData(CompressionKind.Xz, 2)]
    [InlineData(CompressionKind.Xz, 40)]
    [InlineData(CompressionKind.Zstd, 2)]
    [InlineData(CompressionKind.Zstd, 40)]
    [InlineData(CompressionKind.Bzip2, 2)]
    [InlineData(CompressionKind.Bzip2, 40)]
    public void Open_reports_truncated_input_as_a_decompression_error(CompressionKind kind, int percentKept)
    {
        var original = SampleData(512 * 1024, seed: 6);
        var compressed = File.ReadAllBytes(Compress(kind, original, "sample"));
        var truncated = compressed.AsSpan(0, Math.Max(CompressionDetector.HeadLength, compressed.Length * percentKept / 100)).ToArray();

        using var stream = Decompression.Open(new MemoryStream(truncated), kind);
        var error = Assert.Throws<DecompressionException>(() => ReadAll(stream));

        Assert.Equal(kind, error.Kind);
        Assert.Contains($"The {KindName(kind)} data ", error.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Open_reports_input_missing_only_its_last_byte_as_a_decompression_error(CompressionKind kind)
    {
        var compressed = File.ReadAllBytes(Compress(kind, SampleData(100_000, seed: 7), "sample"));

        using var stream = Decompression.Open(new MemoryStream(compressed[..^1]), kind);
        var error = Assert.Throws<DecompressionException>(() => ReadAll(stream));

        Assert.Equal(kind, error.Kind);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Open_reports_corrupted_input_as_a_decompression_error(CompressionKind kind)
    {
        var compressed = File.ReadAllBytes(Compress(kind, SampleData(300_000, seed: 8), "sample"));
        for (var i = compressed.Length / 3; i < compressed.Length / 3 + 64; i++)
        {
            compressed[i] ^= 0x5A;
        }

        using var stream = Decompression.Open(new MemoryStream(compressed), kind);
        var error = Assert.Throws<DecompressionException>(() => ReadAll(stream));

        Assert.Equal(kind, error.Kind);
        Assert.Contains("cannot be decoded", error.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Open_refuses_garbage_after_the_last_stream(CompressionKind kind)
    {
        var compressed = File.ReadAllBytes(Compress(kind, SampleData(100_000, seed: 9), "sample"));
        byte[] withGarbage = [.. compressed, .. "this is not compressed data\n"u8];

        using var stream = Decompression.Open(new MemoryStream(withGarbage), kind);
        var error = Assert.Throws<DecompressionException>(() => ReadAll(stream));

        Assert.Equal(kind, error.Kind);
        Assert.Contains("cannot be decoded", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1F8B")]
    [InlineData("28B52FFD")]
    [InlineData("00010203040506070809")]
    [InlineData("7F454C4602010100000000000000000003003E00")]
    public void OpenAutoDetect_passes_unknown_or_short_data_through_unchanged(string hex)
    {
        var raw = Convert.FromHexString(hex);

        var (kind, stream) = Decompression.OpenAutoDetect(new TricklingStream(raw, 1));
        using (stream)
        {
            Assert.Equal(CompressionKind.None, kind);
            Assert.Equal(raw, ReadAll(stream));
        }
    }

    [Fact]
    public void OpenAutoDetect_passes_large_uncompressed_data_through_unchanged()
    {
        var raw = SampleData(2 * 1024 * 1024, seed: 10);
        raw[0] = 0;

        var (kind, stream) = Decompression.OpenAutoDetect(new MemoryStream(raw));
        using (stream)
        {
            Assert.Equal(CompressionKind.None, kind);
            Assert.Equal(raw, ReadAll(stream));
        }
    }

    [Theory]
    [InlineData(CompressionKind.Xz)]
    [InlineData(CompressionKind.Zstd)]
    [InlineData(CompressionKind.Gzip)]
    public void Decoding_a_large_stream_allocates_a_bounded_amount_of_managed_memory(CompressionKind kind)
    {
        // 256 MiB of zeros decode from a few KiB; the decoder must not grow with the output.
        var input = _directory.Combine("zeros");
        using (var file = File.Create(input))
        {
            file.SetLength(256L * 1024 * 1024);
        }

        var compressed = input + "." + KindName(kind);
        Tool.Run(ToolName(kind), ["-1", "-c", input], compressed);
        var buffer = new byte[1 << 20];

        var before = GC.GetAllocatedBytesForCurrentThread();
        long total = 0;
        using (var stream = Decompression.Open(File.OpenRead(compressed), kind))
        {
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                total += read;
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(256L * 1024 * 1024, total);
        Assert.True(allocated < 4L * 1024 * 1024, $"allocated {allocated} bytes");
    }

    private string Compress(CompressionKind kind, byte[] data, string name)
    {
        var input = _directory.Combine(name);
        File.WriteAllBytes(input, data);
        var output = input + "." + KindName(kind);
        Tool.Run(ToolName(kind), ["-c", input], output);
        return output;
    }

    private static string KindName(CompressionKind kind) => kind.ToString().ToLowerInvariant();

    private static string ToolName(CompressionKind kind) => KindName(kind);

    /// <summary>Alternates random runs with repeated text so every codec has both literals and matches to decode.</summary>
    private static byte[] SampleData(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        var position = 0;
        while (position < length)
        {
            var run = Math.Min(length - position, random.Next(1, 20_000));
            if (random.Next(2) == 0)
            {
                random.NextBytes(data.AsSpan(position, run));
            }
            else
            {
                for (var i = 0; i < run; i++)
                {
                    data[position + i] = (byte)"image-update streams everything\n"[i % 32];
                }
            }

            position += run;
        }

        return data;
    }

    private static byte[] ReadAll(Stream stream)
    {
        var output = new MemoryStream();
        stream.CopyTo(output, 1 << 20);
        return output.ToArray();
    }
}
