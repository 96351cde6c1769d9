using System.Buffers.Binary;

namespace ImageUpdate.Formats.Casync;

/// <summary>
/// Writes a <see cref="ChunkPack"/> to a stream: the header at once, each stored chunk as it is added
/// (in any order; not thread-safe, so concurrent producers serialize their calls), then on
/// <see cref="Complete"/> the table sorted by ID and the trailer. Only the entries are held in memory.
/// </summary>
public sealed class ChunkPackWriter
{
    private readonly Stream _output;
    private readonly Dictionary<ChunkId, (long Offset, int Length)> _entries = [];
    private long _position;
    private bool _completed;

    public ChunkPackWriter(Stream output)
    {
        _output = output;
        Span<byte> head = stackalloc byte[ChunkPack.HeaderLength];
        head.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(head, ChunkPack.Magic);
        _output.Write(head);
        _position = ChunkPack.HeaderLength;
    }

    public int Count => _entries.Count;

    /// <summary>Bytes written so far.</summary>
    public long Length => _position;

    public bool Contains(ChunkId id) => _entries.ContainsKey(id);

    /// <summary>Appends the stored bytes (a .cacnk file's) of chunk <paramref name="id"/>, which the caller has checked.</summary>
    public void Add(ChunkId id, ReadOnlySpan<byte> stored)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (stored.IsEmpty || stored.Length > ChunkPack.MaxStoredLength)
        {
            throw new ArgumentOutOfRangeException(nameof(stored), $"A stored chunk is 1 to {ChunkPack.MaxStoredLength} bytes, not {stored.Length}.");
        }

        if (!_entries.TryAdd(id, (_position, stored.Length)))
        {
            throw new ArgumentException($"Chunk {id} is in the pack already.", nameof(id));
        }

        _output.Write(stored);
        _position += stored.Length;
    }

    /// <summary>Writes the table and the trailer; the pack is complete once the stream is flushed.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _completed = true;
        Span<byte> entry = stackalloc byte[ChunkPack.EntryLength];
        foreach (var (id, place) in _entries.OrderBy(e => e.Key))
        {
            id.WriteTo(entry);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[ChunkId.Size..], (ulong)place.Offset);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[(ChunkId.Size + 8)..], (ulong)place.Length);
            _output.Write(entry);
        }

        Span<byte> trailer = stackalloc byte[ChunkPack.TrailerLength];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, (ulong)_entries.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(trailer[8..], ChunkPack.TrailerMarker);
        _output.Write(trailer);
        _position += ((long)_entries.Count * ChunkPack.EntryLength) + ChunkPack.TrailerLength;
        _output.Flush();
    }
}
