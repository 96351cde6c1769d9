using System.Buffers.Binary;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Casync;

/// <summary>
/// A chunk pack: many stored chunks (each exactly the bytes of its <c>.cacnk</c> file in a chunk store,
/// a zstd frame) in one file, so that a staged delta update is one file however many chunks it
/// carries. Ours, not casync's; all integers little-endian, chunk IDs as casync writes them:
/// <code>
/// header   magic "IUCAPACK" (8 bytes) | flags u64 = 0
/// data     the stored chunks, back to back, in the order they were added
/// table    count entries of { ID[32] | offset u64 | length u64 }, IDs strictly ascending
/// trailer  count u64 | marker "IUCAPEND" (8 bytes)
/// </code>
/// The table sits at the end so a writer can stream chunks in any order (as they arrive from a
/// server) and sort only the small entries. <see cref="Read"/> trusts nothing: the file length is
/// taken from the stream, the count is bounded before anything is allocated, and the entries must
/// tile the data area exactly (no overlap, no gap, nothing outside it). A pack is never trusted for
/// content either: whoever uses a chunk decodes it with <see cref="ChunkStore.Decode"/>, which checks
/// its size and its ID.
/// </summary>
public sealed class ChunkPack
{
    /// <summary>"IUCAPACK" as a little-endian word.</summary>
    public const ulong Magic = 0x4b43415041435549;

    /// <summary>"IUCAPEND" as a little-endian word.</summary>
    public const ulong TrailerMarker = 0x444e455041435549;

    /// <summary>The most entries <see cref="Read"/> accepts unless told otherwise: as many as an index may list.</summary>
    public const int DefaultMaxEntries = CasyncIndex.DefaultMaxChunks;

    // Layout, derived.
    private const int FlagsOffset = 8;
    internal const int HeaderLength = FlagsOffset + 8;
    private const int EntryOffsetOffset = ChunkId.Size;
    private const int EntryLengthOffset = EntryOffsetOffset + 8;
    internal const int EntryLength = EntryLengthOffset + 8;
    private const int TrailerMarkerOffset = 8;
    internal const int TrailerLength = TrailerMarkerOffset + 8;

    private const int TableReadEntries = 1024;

    private readonly ChunkId[] _ids;
    private readonly long[] _offsets;
    private readonly int[] _lengths;

    private ChunkPack(string source, ChunkId[] ids, long[] offsets, int[] lengths)
    {
        Source = source;
        _ids = ids;
        _offsets = offsets;
        _lengths = lengths;
    }

    /// <summary>The most bytes one stored chunk may take: what zstd may need for the largest chunk casync allows.</summary>
    public static long MaxStoredLength { get; } = ChunkStore.MaxCompressedLength((int)ChunkSizeLimits.LargestAllowed);

    /// <summary>The pack's name in errors.</summary>
    public string Source { get; }

    public int Count => _ids.Length;

    /// <summary>The chunk IDs the pack holds, ascending.</summary>
    public IReadOnlyList<ChunkId> Ids => _ids;

    public bool Contains(ChunkId id) => Array.BinarySearch(_ids, id) >= 0;

    /// <summary>Where the stored bytes of <paramref name="id"/> lie in the file, or null when the pack does not hold it.</summary>
    public (long Offset, int Length)? Find(ChunkId id)
    {
        var at = Array.BinarySearch(_ids, id);
        return at < 0 ? null : (_offsets[at], _lengths[at]);
    }

    /// <summary>
    /// Reads the table of the pack in <paramref name="stream"/> (seekable; its length is the file's),
    /// refusing anything but a well-formed pack of at most <paramref name="maxEntries"/> entries with a
    /// <see cref="CasyncFormatException"/> naming <paramref name="source"/>. Memory is bounded by
    /// <paramref name="maxEntries"/> and by the stream's length, whatever the bytes claim.
    /// </summary>
    public static ChunkPack Read(Stream stream, string source, int maxEntries = DefaultMaxEntries)
    {
        if (!stream.CanSeek)
        {
            throw new ArgumentException("A chunk pack is read from a seekable stream.", nameof(stream));
        }

        var length = stream.Length;
        if (length < HeaderLength + TrailerLength)
        {
            throw Refuse(source, $"is {length} bytes, shorter than a pack's {HeaderLength + TrailerLength}-byte header and trailer");
        }

        Span<byte> head = stackalloc byte[HeaderLength];
        ReadAt(stream, 0, head, source);
        if (Word(head, 0) != Magic || Word(head, FlagsOffset) != 0)
        {
            throw Refuse(source, $"does not start with a chunk pack header (magic 0x{Word(head, 0):x16}, flags 0x{Word(head, FlagsOffset):x16})");
        }

        Span<byte> tail = stackalloc byte[TrailerLength];
        ReadAt(stream, length - TrailerLength, tail, source);
        var claimed = Word(tail, 0);
        if (Word(tail, TrailerMarkerOffset) != TrailerMarker)
        {
            throw Refuse(source, $"does not end with a chunk pack trailer (marker 0x{Word(tail, TrailerMarkerOffset):x16})");
        }

        if (claimed > (ulong)maxEntries)
        {
            throw Refuse(source, $"claims {claimed} chunks, more than the {maxEntries} allowed");
        }

        var count = (int)claimed;
        var tableStart = length - TrailerLength - ((long)count * EntryLength);
        if (tableStart < HeaderLength)
        {
            throw Refuse(source, $"claims {count} chunks, more than its {length} bytes can hold");
        }

        var ids = new ChunkId[count];
        var offsets = new long[count];
        var lengths = new int[count];
        var block = new byte[Math.Min(count, TableReadEntries) * EntryLength];
        for (var first = 0; first < count; first += TableReadEntries)
        {
            var entries = Math.Min(TableReadEntries, count - first);
            var bytes = block.AsSpan(0, entries * EntryLength);
            ReadAt(stream, tableStart + ((long)first * EntryLength), bytes, source);
            for (var i = 0; i < entries; i++)
            {
                var n = first + i;
                var entry = bytes.Slice(i * EntryLength, EntryLength);
                var id = ChunkId.Read(entry);
                if (n > 0 && id.CompareTo(ids[n - 1]) <= 0)
                {
                    throw Refuse(source, $"lists chunk {id} after {ids[n - 1]}: the table must be in strictly ascending order");
                }

                var offset = Word(entry, EntryOffsetOffset);
                var stored = Word(entry, EntryLengthOffset);
                if (stored == 0 || stored > (ulong)MaxStoredLength)
                {
                    throw Refuse(source, $"gives chunk {id} {stored} bytes, not 1 to {MaxStoredLength}");
                }

                if (offset < HeaderLength || offset > (ulong)tableStart || (ulong)tableStart - offset < stored)
                {
                    throw Refuse(source, $"places chunk {id} at {offset}..{offset + stored}, outside its data area {HeaderLength}..{tableStart}");
                }

                ids[n] = id;
                offsets[n] = (long)offset;
                lengths[n] = (int)stored;
            }
        }

        CheckTiling(source, ids, offsets, lengths, tableStart);
        return new ChunkPack(source, ids, offsets, lengths);
    }

    /// <summary>
    /// Reads the stored bytes of chunk <paramref name="chunk"/> from <paramref name="stream"/> (the
    /// stream the pack was read from) and decodes them into <paramref name="destination"/> (the chunk's
    /// length) with <see cref="ChunkStore.Decode"/>; false when the pack does not hold the chunk.
    /// A stored chunk larger than its size allows is refused unread.
    /// </summary>
    public bool TryRead(Stream stream, IndexedChunk chunk, Span<byte> destination)
    {
        if (ReadStored(stream, chunk.Id, destination.Length) is not { } stored)
        {
            return false;
        }

        ChunkStore.Decode(Origin(chunk.Id), chunk.Id, stored, destination);
        return true;
    }

    /// <summary>
    /// The stored (still compressed, unchecked) bytes of chunk <paramref name="id"/>, whose uncompressed
    /// size is <paramref name="length"/>, read from <paramref name="stream"/>; null when the pack does
    /// not hold it. One larger than zstd needs for that size is refused unread.
    /// </summary>
    public byte[]? ReadStored(Stream stream, ChunkId id, int length)
    {
        if (Find(id) is not { } place)
        {
            return null;
        }

        if (place.Length > ChunkStore.MaxCompressedLength(length))
        {
            throw CasyncFormatException.Chunk(Origin(id), $"is {place.Length} bytes, more than zstd needs for the {length} bytes it must hold");
        }

        var stored = new byte[place.Length];
        ReadAt(stream, place.Offset, stored, Source);
        return stored;
    }

    /// <summary>How a chunk of this pack is named in errors: the pack, a colon, the chunk's ID.</summary>
    public string Origin(ChunkId id) => $"{Source}:{id}";

    internal static CasyncFormatException Refuse(string source, string problem) =>
        new($"The chunk pack '{UntrustedText.Escape(source)}' {problem}.");

    // Sorted by offset, the entries must start at the data area, each where the previous ended, and
    // the last end at the table: every byte belongs to exactly one chunk.
    private static void CheckTiling(string source, ChunkId[] ids, long[] offsets, int[] lengths, long tableStart)
    {
        var order = new int[ids.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(offsets.ToArray(), order);
        long expected = HeaderLength;
        foreach (var i in order)
        {
            if (offsets[i] != expected)
            {
                throw Refuse(source, offsets[i] < expected
                    ? $"places chunk {ids[i]} at {offsets[i]}, overlapping the chunk that ends at {expected}"
                    : $"leaves bytes {expected}..{offsets[i]} before chunk {ids[i]} unaccounted for");
            }

            expected += lengths[i];
        }

        if (expected != tableStart)
        {
            throw Refuse(source, $"leaves bytes {expected}..{tableStart} before its table unaccounted for");
        }
    }

    private static void ReadAt(Stream stream, long offset, Span<byte> destination, string source)
    {
        stream.Position = offset;
        if (stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) < destination.Length)
        {
            throw Refuse(source, "shrank while it was read");
        }
    }

    private static ulong Word(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(bytes[offset..]);
}
