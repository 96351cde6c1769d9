using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Formats.Casync;

/// <summary>
/// A casync chunk store in a directory (src/castore.c): chunk ID X lives in
/// <c>ROOT/X[0..4]/X.cacnk</c>, zstd-compressed. A chunk is written once (its name is its hash), through
/// a temporary name and a rename so that a reader never sees half a chunk. Reading is bounded by the
/// size the index gives the chunk: the compressed file by libzstd's worst case for that size, the
/// decompressed bytes by the size itself (decoding stops there), and the result must hash to its ID.
/// </summary>
public sealed class ChunkStore
{
    public const string ChunkSuffix = ".cacnk";

    /// <summary>zstd's default level, which casync's compressor uses too.</summary>
    private const int CompressionLevel = 3;

    private const UnixFileMode ServedDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    // A frame may carry skippable frames or block headers beyond libzstd's own worst case.
    private const int CompressedSlack = 4096;

    public ChunkStore(string root)
    {
        Root = root;
    }

    public string Root { get; }

    public string PathOf(ChunkId id)
    {
        var hex = id.ToString();
        return Path.Combine(Root, hex[..4], hex + ChunkSuffix);
    }

    public bool Contains(ChunkId id) => File.Exists(PathOf(id));

    /// <summary>
    /// Stores <paramref name="chunk"/> (whose ID the caller computed) unless the store has it already;
    /// returns whether it wrote it.
    /// </summary>
    public bool Add(ChunkId id, ReadOnlySpan<byte> chunk)
    {
        var path = PathOf(id);
        if (File.Exists(path))
        {
            return false;
        }

        var compressed = Compress(chunk);
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory);
            File.SetUnixFileMode(Root, ServedDirectory);
            File.SetUnixFileMode(directory, ServedDirectory);
        }

        // A store is served: readable by all whatever the umask, like the payloads beside it.
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(compressed);
        }

        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        File.Move(temporary, path, overwrite: true);
        return true;
    }

    /// <summary>
    /// Reads chunk <paramref name="id"/> into <paramref name="destination"/>, whose length is the
    /// chunk's size from the index; the chunk must decompress to exactly that many bytes and hash to
    /// <paramref name="id"/>.
    /// </summary>
    public void Read(ChunkId id, Span<byte> destination)
    {
        var path = PathOf(id);
        byte[] compressed;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            var limit = MaxCompressedLength(destination.Length);
            if (file.Length > limit)
            {
                throw CasyncFormatException.Chunk(path, $"is {file.Length} bytes, more than zstd needs for the {destination.Length} bytes it must hold");
            }

            compressed = new byte[file.Length];
            file.ReadExactly(compressed);
        }
        catch (FileNotFoundException e)
        {
            throw CasyncFormatException.Chunk(path, "is missing from the store", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw CasyncFormatException.Chunk(path, "is missing from the store", e);
        }
        catch (EndOfStreamException e)
        {
            throw CasyncFormatException.Chunk(path, "shrank while it was read", e);
        }

        Decode(path, id, compressed, destination);
    }

    /// <summary>
    /// Decodes one stored chunk (its .cacnk bytes, from a file, a server or a pack) into
    /// <paramref name="destination"/>, whose length is the chunk's size from the index; the bytes must
    /// decompress to exactly that many and hash to <paramref name="id"/>, else the chunk is refused,
    /// named by <paramref name="origin"/>.
    /// </summary>
    public static void Decode(string origin, ChunkId id, ReadOnlySpan<byte> compressed, Span<byte> destination)
    {
        if (compressed.Length > MaxCompressedLength(destination.Length))
        {
            throw CasyncFormatException.Chunk(origin, $"is {compressed.Length} bytes, more than zstd needs for the {destination.Length} bytes it must hold");
        }

        Decompress(origin, compressed, destination);
        var actual = ChunkId.Compute(destination);
        if (actual != id)
        {
            throw CasyncFormatException.Chunk(origin, $"holds bytes whose SHA-512/256 is {actual}, not its name");
        }
    }

    /// <summary>Every chunk ID the store holds (files with another name are not chunks and are skipped).</summary>
    public IEnumerable<ChunkId> Enumerate()
    {
        if (!Directory.Exists(Root))
        {
            yield break;
        }

        foreach (var directory in Directory.EnumerateDirectories(Root).Order(StringComparer.Ordinal))
        {
            var prefix = Path.GetFileName(directory);
            foreach (var file in Directory.EnumerateFiles(directory, "*" + ChunkSuffix).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                var id = ChunkId.TryParse(name.AsSpan(0, name.Length - ChunkSuffix.Length));
                if (id is { } chunk && chunk.ToString()[..4] == prefix && name == chunk + ChunkSuffix)
                {
                    yield return chunk;
                }
            }
        }
    }

    /// <summary>Deletes chunk <paramref name="id"/>, and its directory when that is left empty.</summary>
    public void Remove(ChunkId id)
    {
        var path = PathOf(id);
        File.Delete(path);
        var directory = Path.GetDirectoryName(path)!;
        if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
        {
            Directory.Delete(directory);
        }
    }

    /// <summary>A chunk as a store holds it: one zstd frame at casync's level.</summary>
    public static unsafe byte[] Compress(ReadOnlySpan<byte> chunk)
    {
        var bound = Zstd.CompressBound((nuint)chunk.Length);
        var output = new byte[(int)bound];
        nuint written;
        fixed (byte* source = chunk)
        fixed (byte* destination = output)
        {
            written = Zstd.Compress(destination, bound, source, (nuint)chunk.Length, CompressionLevel);
        }

        if (Zstd.IsError(written) != 0)
        {
            throw new InvalidOperationException($"ZSTD_compress failed: {Zstd.GetErrorName(written)}");
        }

        return output.AsSpan(0, (int)written).ToArray();
    }

    /// <summary>The most bytes a stored chunk of <paramref name="length"/> uncompressed bytes may take; a larger one is refused unread.</summary>
    public static long MaxCompressedLength(int length) => (long)Zstd.CompressBound((nuint)length) + CompressedSlack;

    private static unsafe void Decompress(string path, ReadOnlySpan<byte> compressed, Span<byte> destination)
    {
        nuint produced;
        fixed (byte* source = compressed)
        fixed (byte* output = destination)
        {
            // Decoding straight into the destination: libzstd stops with an error instead of writing
            // past it, so a frame claiming (or expanding to) more than the chunk's size costs nothing.
            produced = Zstd.Decompress(output, (nuint)destination.Length, source, (nuint)compressed.Length);
        }

        if (Zstd.IsError(produced) != 0)
        {
            throw CasyncFormatException.Chunk(path, $"is not zstd data of at most {destination.Length} bytes ({Zstd.GetErrorName(produced)})");
        }

        if (produced != (nuint)destination.Length)
        {
            throw CasyncFormatException.Chunk(path, $"decompresses to {produced} bytes, not the {destination.Length} its index says");
        }
    }
}
