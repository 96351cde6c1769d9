using ImageUpdate.Formats.Casync;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Update.Delta;

/// <summary>
/// A slot the rebuild may be writing into (<see cref="Seed.InPlace"/>): a chunk is looked for only at
/// the offset it has in the result, so what an interrupted attempt at the same version left in the
/// slot is reused, and nothing is read from a place the writer has already passed (it writes only
/// what the rebuild delivered, in order, so when chunk X is resolved nothing at or after X's offset
/// has been written yet). Not chunked, not mapped: every candidate is read and hashed by the rebuild
/// like any seed's, and <see cref="ProbeAsync"/> can tell beforehand which chunks it holds.
/// </summary>
public sealed class InPlaceSeed : IChunkSource, IDisposable
{
    private readonly SafeFileHandle _handle;
    private HashSet<long>? _present;

    private InPlaceSeed(Seed seed, SafeFileHandle handle)
    {
        Seed = seed;
        _handle = handle;
    }

    public Seed Seed { get; }

    /// <summary>Chunks found by <see cref="ProbeAsync"/> (0 before it ran).</summary>
    public int ProbedCount => _present?.Count ?? 0;

    /// <summary>Opens the slot (open(2), no lock); throws IOException or UnauthorizedAccessException when it cannot be read.</summary>
    public static InPlaceSeed Open(Seed seed) => new(seed, SeedFile.OpenWithoutLock(seed.Path));

    /// <summary>
    /// Reads and hashes each of <paramref name="chunks"/> at its own offset and remembers which hold
    /// their ID; from then on only those are offered. Returns them.
    /// </summary>
    public async Task<IReadOnlyList<IndexedChunk>> ProbeAsync(IReadOnlyList<IndexedChunk> chunks, int largest, CancellationToken cancellationToken)
    {
        var present = new HashSet<long>();
        var found = new List<IndexedChunk>();
        var buffer = new byte[largest];
        foreach (var chunk in chunks)
        {
            var bytes = buffer.AsMemory(0, chunk.Length);
            if (await TryReadAtAsync(chunk, bytes, cancellationToken).ConfigureAwait(false) && ChunkId.Compute(bytes.Span) == chunk.Id)
            {
                present.Add(chunk.Offset);
                found.Add(chunk);
            }
        }

        _present = present;
        return found;
    }

    public async ValueTask<bool> TryReadAsync(IndexedChunk chunk, Memory<byte> destination, CancellationToken cancellationToken) =>
        (_present is null || _present.Contains(chunk.Offset)) && await TryReadAtAsync(chunk, destination, cancellationToken).ConfigureAwait(false);

    public void Dispose() => _handle.Dispose();

    private async ValueTask<bool> TryReadAtAsync(IndexedChunk chunk, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (Seed.Length is { } length && chunk.End > length)
        {
            return false;
        }

        try
        {
            var done = 0;
            while (done < destination.Length)
            {
                var read = await RandomAccess.ReadAsync(_handle, destination[done..], Seed.Offset + chunk.Offset + done, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return false;
                }

                done += read;
            }

            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
