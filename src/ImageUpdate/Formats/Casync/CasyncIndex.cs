using System.Buffers.Binary;

namespace ImageUpdate.Formats.Casync;

/// <summary>
/// A casync blob index (.caibx; src/caformat.h, src/caindex.c), all little-endian:
/// an INDEX object (header size 48, type CA_FORMAT_INDEX, feature flags, chunk size min/avg/max);
/// a TABLE header (size UINT64_MAX because the table is written incrementally, type CA_FORMAT_TABLE);
/// one 40-byte item per chunk (the chunk's end offset in the blob, its 32-byte ID);
/// a 40-byte tail the size of an item (two zero words, the distance from the INDEX object to the
/// TABLE, the TABLE's real size, CA_FORMAT_TABLE_TAIL_MARKER); nothing after it.
/// </summary>
public sealed class CasyncIndex
{
    /// <summary>CA_FORMAT_INDEX.</summary>
    public const ulong IndexType = 0x96824d9c7b129ff9;

    /// <summary>CA_FORMAT_TABLE.</summary>
    public const ulong TableType = 0xe75b9e112f17417d;

    /// <summary>CA_FORMAT_TABLE_TAIL_MARKER.</summary>
    public const ulong TableTailMarker = 0x4b4f050e5549ecd1;

    /// <summary>CA_FORMAT_SHA512_256: chunk IDs are SHA-512/256 (without it casync uses SHA-256).</summary>
    public const ulong Sha512t256Flag = 0x2000000000000000;

    /// <summary>
    /// What `casync make` records for a blob: CA_FORMAT_EXCLUDE_NODUMP | CA_FORMAT_SHA512_256 |
    /// CA_FORMAT_EXCLUDE_FILE (its default flags reduced to those that mean something for a blob).
    /// </summary>
    public const ulong BlobFeatureFlags = 0x8000000000000000 | Sha512t256Flag | 0x1000000000000000;

    /// <summary>The most chunks <see cref="Read"/> accepts unless told otherwise: 2^21, 80 MiB of items, a 512 GiB blob at the default maximum.</summary>
    public const int DefaultMaxChunks = 1 << 21;

    // Layout, derived: CaFormatHeader { size, type }; CaFormatIndex { header, flags, min, avg, max }.
    private const int HeaderLength = 16;
    private const int FeatureFlagsOffset = HeaderLength;
    private const int MinimumOffset = FeatureFlagsOffset + 8;
    private const int AverageOffset = MinimumOffset + 8;
    private const int MaximumOffset = AverageOffset + 8;
    internal const int IndexObjectLength = MaximumOffset + 8;
    private const int TableHeaderOffset = IndexObjectLength;
    internal const int HeadLength = TableHeaderOffset + HeaderLength;

    // CaFormatTableItem { offset, chunk[32] } and CaFormatTableTail, which casync pads to the same size.
    internal const int ItemLength = 8 + ChunkId.Size;
    private const int TailIndexOffsetOffset = 16;
    private const int TailSizeOffset = TailIndexOffsetOffset + 8;
    private const int TailMarkerOffset = TailSizeOffset + 8;

    public CasyncIndex(ulong featureFlags, ChunkSizeLimits sizes, IReadOnlyList<IndexedChunk> chunks)
    {
        var offset = 0L;
        foreach (var chunk in chunks)
        {
            if (chunk.Offset != offset || chunk.Length <= 0 || chunk.Length > sizes.Maximum)
            {
                throw new ArgumentException($"Chunk at {chunk.Offset} of {chunk.Length} bytes does not follow the previous one at {offset} or is not 1..{sizes.Maximum} bytes.", nameof(chunks));
            }

            offset = chunk.End;
        }

        FeatureFlags = featureFlags;
        Sizes = sizes;
        Chunks = chunks;
        BlobSize = offset;
    }

    public ulong FeatureFlags { get; }

    public ChunkSizeLimits Sizes { get; }

    /// <summary>The chunks in blob order, each starting where the previous one ends.</summary>
    public IReadOnlyList<IndexedChunk> Chunks { get; }

    /// <summary>The size of the blob: the end of the last chunk.</summary>
    public long BlobSize { get; }

    /// <summary>The size of this index's file.</summary>
    public long FileLength => HeadLength + ((Chunks.Count + 1L) * ItemLength);

    /// <summary>
    /// Reads an index from <paramref name="stream"/> to its end, checking what casync checks: the head,
    /// chunk sizes within [1, 128 MiB] and ordered, end offsets strictly increasing by at most the
    /// maximum chunk size, the tail matching the table, nothing after it. <paramref name="source"/> names
    /// the file in errors. At most <paramref name="maxChunks"/> items are read, so memory is bounded by
    /// that and by the stream, whatever the bytes claim.
    /// </summary>
    public static CasyncIndex Read(Stream stream, string source, int maxChunks = DefaultMaxChunks)
    {
        Span<byte> head = stackalloc byte[HeadLength];
        if (stream.ReadAtLeast(head, HeadLength, throwOnEndOfStream: false) < HeadLength)
        {
            throw CasyncFormatException.Index(source, $"ends within its first {HeadLength} bytes");
        }

        if (Word(head, 0) != IndexObjectLength || Word(head, 8) != IndexType)
        {
            throw CasyncFormatException.Index(source, $"does not start with a casync INDEX object of {IndexObjectLength} bytes (size 0x{Word(head, 0):x}, type 0x{Word(head, 8):x16})");
        }

        var flags = Word(head, FeatureFlagsOffset);
        if ((flags & Sha512t256Flag) == 0)
        {
            throw CasyncFormatException.Index(source, $"has feature flags 0x{flags:x16} without SHA512_256: SHA-256 chunk IDs are not supported");
        }

        var minimum = Word(head, MinimumOffset);
        var average = Word(head, AverageOffset);
        var maximum = Word(head, MaximumOffset);
        if (minimum < ChunkSizeLimits.SmallestAllowed || maximum > ChunkSizeLimits.LargestAllowed || minimum > average || average > maximum)
        {
            throw CasyncFormatException.Index(source, $"has chunk sizes {minimum}/{average}/{maximum}, not 1 <= min <= avg <= max <= {ChunkSizeLimits.LargestAllowed}");
        }

        if (Word(head, TableHeaderOffset) != ulong.MaxValue || Word(head, TableHeaderOffset + 8) != TableType)
        {
            throw CasyncFormatException.Index(source, $"has no TABLE object after its INDEX object (size 0x{Word(head, TableHeaderOffset):x}, type 0x{Word(head, TableHeaderOffset + 8):x16})");
        }

        var sizes = new ChunkSizeLimits((long)minimum, (long)average, (long)maximum);
        var chunks = new List<IndexedChunk>();
        var buffered = new BufferedStream(stream, 64 * ItemLength);
        Span<byte> item = stackalloc byte[ItemLength];
        var offset = 0UL;
        while (true)
        {
            var read = buffered.ReadAtLeast(item, ItemLength, throwOnEndOfStream: false);
            if (read < ItemLength)
            {
                throw CasyncFormatException.Index(source, $"ends after {chunks.Count} chunk items without its table tail");
            }

            if (IsTail(item, chunks.Count))
            {
                if (buffered.ReadByte() >= 0)
                {
                    throw CasyncFormatException.Index(source, $"has bytes after its table tail (after {chunks.Count} chunks)");
                }

                return new CasyncIndex(flags, sizes, chunks);
            }

            var end = Word(item, 0);
            if (end <= offset || end - offset > maximum)
            {
                throw CasyncFormatException.Index(source, $"has chunk {chunks.Count} ending at {end} after the previous one ended at {offset}: chunks must grow by 1 to {maximum} bytes");
            }

            if (chunks.Count == maxChunks)
            {
                throw CasyncFormatException.Index(source, $"lists more than {maxChunks} chunks");
            }

            chunks.Add(new IndexedChunk((long)offset, (int)(end - offset), ChunkId.Read(item[8..])));
            offset = end;
        }
    }

    /// <summary>Writes the index exactly as `casync make` does.</summary>
    public void WriteTo(Stream stream)
    {
        var buffered = new BufferedStream(stream, 64 * ItemLength);
        Span<byte> head = stackalloc byte[HeadLength];
        BinaryPrimitives.WriteUInt64LittleEndian(head, IndexObjectLength);
        BinaryPrimitives.WriteUInt64LittleEndian(head[8..], IndexType);
        BinaryPrimitives.WriteUInt64LittleEndian(head[FeatureFlagsOffset..], FeatureFlags);
        BinaryPrimitives.WriteUInt64LittleEndian(head[MinimumOffset..], (ulong)Sizes.Minimum);
        BinaryPrimitives.WriteUInt64LittleEndian(head[AverageOffset..], (ulong)Sizes.Average);
        BinaryPrimitives.WriteUInt64LittleEndian(head[MaximumOffset..], (ulong)Sizes.Maximum);
        BinaryPrimitives.WriteUInt64LittleEndian(head[TableHeaderOffset..], ulong.MaxValue);
        BinaryPrimitives.WriteUInt64LittleEndian(head[(TableHeaderOffset + 8)..], TableType);
        buffered.Write(head);

        Span<byte> item = stackalloc byte[ItemLength];
        foreach (var chunk in Chunks)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(item, (ulong)chunk.End);
            chunk.Id.WriteTo(item[8..]);
            buffered.Write(item);
        }

        item.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(item[TailIndexOffsetOffset..], IndexObjectLength);
        BinaryPrimitives.WriteUInt64LittleEndian(item[TailSizeOffset..], TableSize(Chunks.Count));
        BinaryPrimitives.WriteUInt64LittleEndian(item[TailMarkerOffset..], TableTailMarker);
        buffered.Write(item);
        buffered.Flush();
    }

    /// <summary>The TABLE object's real size: its header, the items and the tail.</summary>
    private static ulong TableSize(long items) => (ulong)(HeaderLength + ((items + 1) * ItemLength));

    // casync takes a record for the tail only when every tail field matches the table read so far;
    // anything else is an item (which then has to pass the item checks).
    private static bool IsTail(ReadOnlySpan<byte> record, int items) =>
        Word(record, TailMarkerOffset) == TableTailMarker
        && Word(record, 0) == 0
        && Word(record, 8) == 0
        && Word(record, TailIndexOffsetOffset) == IndexObjectLength
        && Word(record, TailSizeOffset) == TableSize(items);

    private static ulong Word(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(bytes[offset..]);
}
