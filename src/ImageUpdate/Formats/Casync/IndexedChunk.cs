namespace ImageUpdate.Formats.Casync;

/// <summary>One chunk of a blob: its bytes [Offset, Offset + Length) of the blob have SHA-512/256 <see cref="Id"/>.</summary>
public readonly record struct IndexedChunk(long Offset, int Length, ChunkId Id)
{
    public long End => Offset + Length;
}
