using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Casync;

/// <summary>
/// The real casync (Debian package casync, version 2) as the oracle: `casync make` of the same file
/// writes the same .caibx byte for byte and the same set of chunks; `casync extract` rebuilds our
/// file from our index and store; we rebuild casync's file from its index and store.
/// </summary>
public sealed class CasyncOracleTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("empty", 0)]
    [InlineData("random", 1)]
    [InlineData("random", 47)]
    [InlineData("random", 16383)]
    [InlineData("random", 16384)]
    [InlineData("random", 16385)]
    [InlineData("random", 262144)]
    [InlineData("random", 262145)]
    [InlineData("random", (1 << 20) + 7)]
    [InlineData("random", (5 << 20) + 13)]
    [InlineData("random", 40 << 20)]
    [InlineData("zeros", 1 << 20)]
    [InlineData("zeros", (3 << 20) + 5)]
    [InlineData("pattern", 2 << 20)]
    [InlineData("text-like", 3 << 20)]
    public async Task Casync_and_image_update_agree_on_index_store_and_file(string kind, int length)
    {
        RequireCasync();
        var ct = TestContext.Current.CancellationToken;
        var file = Path.Combine(_temp.Path, "payload.raw");
        var data = Make(kind, length);
        await File.WriteAllBytesAsync(file, data, ct);

        // Ours: index and store.
        var ourStore = new ChunkStore(Path.Combine(_temp.Path, "ours.castr"));
        CasyncIndex ours;
        await using (var input = File.OpenRead(file))
        {
            ours = await CasyncBlob.IndexAsync(input, ourStore, ChunkSizeLimits.Default, ct);
        }

        var ourIndex = Path.Combine(_temp.Path, "ours.caibx");
        await using (var stream = File.Create(ourIndex))
        {
            ours.WriteTo(stream);
        }

        // casync's, from the same file.
        var theirStore = Path.Combine(_temp.Path, "theirs.castr");
        var theirIndex = Path.Combine(_temp.Path, "theirs.caibx");
        TestProcess.RunChecked("casync", ["make", $"--store={theirStore}", theirIndex, file]);
        Assert.Equal(await File.ReadAllBytesAsync(theirIndex, ct), await File.ReadAllBytesAsync(ourIndex, ct));
        Assert.Equal(ChunkNames(theirStore), ChunkNames(ourStore.Root));
        output.WriteLine($"{kind} {length}: {ours.Chunks.Count} chunks, identical index and chunk names");

        // casync rebuilds our file from our index and our store.
        var theirRebuild = Path.Combine(_temp.Path, "rebuilt-by-casync.raw");
        Directory.CreateDirectory(ourStore.Root); // An empty file has no chunks, and casync wants the store to exist.
        TestProcess.RunChecked("casync", ["extract", $"--store={ourStore.Root}", ourIndex, theirRebuild]);
        Assert.Equal(data, await File.ReadAllBytesAsync(theirRebuild, ct));

        // We rebuild casync's file from its index and its store.
        CasyncIndex theirs;
        await using (var stream = File.OpenRead(theirIndex))
        {
            theirs = CasyncIndex.Read(stream, theirIndex);
        }

        var ourRebuild = new MemoryStream();
        await CasyncBlob.ExtractAsync(theirs, new ChunkStore(theirStore), ourRebuild, ct);
        Assert.Equal(data, ourRebuild.ToArray());
    }

    [Fact]
    public void Casync_refuses_a_chunk_of_ours_that_was_tampered_with_as_we_refuse_one_of_its()
    {
        RequireCasync();
        var file = Path.Combine(_temp.Path, "payload.raw");
        File.WriteAllBytes(file, CasyncTestData.Random(300_000, 21));
        var store = Path.Combine(_temp.Path, "theirs.castr");
        var index = Path.Combine(_temp.Path, "theirs.caibx");
        TestProcess.RunChecked("casync", ["make", $"--store={store}", index, file]);
        var read = CasyncIndex.Read(File.OpenRead(index), index);
        var victim = read.Chunks[0];
        var chunkStore = new ChunkStore(store);
        File.WriteAllBytes(chunkStore.PathOf(victim.Id), ChunkStore.Compress(CasyncTestData.Random(victim.Length, 22)));

        var error = Assert.Throws<CasyncFormatException>(() => CasyncBlob.ExtractAsync(read, chunkStore, Stream.Null, CancellationToken.None).GetAwaiter().GetResult());
        Assert.StartsWith($"The chunk '{chunkStore.PathOf(victim.Id)}' holds bytes whose SHA-512/256 is ", error.Message, StringComparison.Ordinal);
        var result = TestProcess.Run("casync", ["extract", $"--store={store}", index, Path.Combine(_temp.Path, "out.raw")]);
        Assert.NotEqual(0, result.ExitCode);
    }

    private static void RequireCasync() => TestEnvironment.RequireTools("apt-get install casync", "casync");

    private static List<string> ChunkNames(string store) => !Directory.Exists(store) ? [] :
        [.. Directory.EnumerateFiles(store, "*.cacnk", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(store, p)).Order(StringComparer.Ordinal)];

    private static byte[] Make(string kind, int length)
    {
        switch (kind)
        {
            case "empty":
            case "zeros":
                return new byte[length];
            case "random":
                return CasyncTestData.Random(length, (ulong)length);
            case "pattern":
                // A 4 KiB block repeated: the window hash repeats with it, so cuts (if any) repeat too.
                var block = CasyncTestData.Random(4096, 5);
                return [.. Enumerable.Range(0, length / 4096).SelectMany(_ => block)];
            default:
                // Few distinct bytes with long runs, like text or sparse file system metadata.
                var noise = CasyncTestData.Random(length, 6);
                var bytes = new byte[length];
                for (var i = 0; i < length; i++)
                {
                    bytes[i] = noise[i] < 16 ? noise[(i * 7) % length] : (byte)(' ' + (noise[i] % 4));
                }

                return bytes;
        }
    }
}
