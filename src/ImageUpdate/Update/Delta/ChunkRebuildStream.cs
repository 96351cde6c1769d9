using ImageUpdate.Formats.Casync;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Foundation.Streams;
using ImageUpdate.Platform.Transport;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Delta;

/// <summary>
/// The bytes of a blob rebuilt from its index, in order, as a forward-only stream the ordinary write
/// path consumes (and a <c>VerifyingStream</c> around it checks against the manifest, as it checks a
/// download). Each chunk is taken from the first seed that has it, else from the remote source, and
/// used only once its SHA-512/256 is its ID. A window of <see cref="Parallelism"/> chunks is resolved
/// ahead of the reader, each into its own buffer of the index's maximum chunk size, so memory is that
/// window whatever the blob's size. A seed whose bytes do not hash right is passed over; a remote
/// chunk that does not is refused (<see cref="VerificationException"/>), never written. When the remote
/// source does not have a chunk, or cannot deliver it after its retries, the stream continues with
/// the whole file from where it is, if it was given a way to open it, else it fails.
/// </summary>
public sealed class ChunkRebuildStream : ForwardReadStream
{
    /// <summary>At most this many bytes of chunk buffers per rebuild, whatever the index's maximum chunk size.</summary>
    public const int WindowBytes = 8 << 20;

    private readonly CasyncIndex _index;
    private readonly IReadOnlyList<IChunkSource> _seeds;
    private readonly IChunkSource? _remote;
    private readonly string _remoteName;
    private readonly DeltaCounters _counters;
    private readonly Func<long, CancellationToken, Task<Stream>>? _wholeFile;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<IDisposable> _owned;
    private readonly byte[][] _buffers;
    private readonly int _largest;
    private readonly Queue<Task<Resolution>> _ahead = new();
    private readonly CancellationTokenSource _stop = new();

    private int _scheduled;
    private int _consumed;
    private byte[]? _current;
    private int _currentLength;
    private int _currentPosition;
    private long _delivered;
    private Stream? _whole;
    private bool _disposed;

    /// <param name="seeds">Tried in order for every chunk; their bytes are hashed before use.</param>
    /// <param name="remote">The chunk store (or a staged pack) for what no seed has; null when there is none.</param>
    /// <param name="remoteName">The remote source, for messages.</param>
    /// <param name="wholeFile">Opens the whole file and skips the given number of bytes; null when there is no whole file to fall back to.</param>
    /// <param name="owned">Disposed with the stream (the seeds).</param>
    public ChunkRebuildStream(
        CasyncIndex index,
        IReadOnlyList<IChunkSource> seeds,
        IChunkSource? remote,
        string remoteName,
        DeltaCounters counters,
        Func<long, CancellationToken, Task<Stream>>? wholeFile,
        ILogger logger,
        IReadOnlyList<IDisposable>? owned = null,
        int parallelism = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        _index = index;
        _seeds = seeds;
        _remote = remote;
        _remoteName = remoteName;
        _counters = counters;
        _wholeFile = wholeFile;
        _logger = logger;
        _owned = owned ?? [];
        _largest = index.Chunks.Count == 0 ? 1 : index.Chunks.Max(c => c.Length);
        Parallelism = Math.Clamp(WindowBytes / _largest, 1, parallelism);
        _buffers = new byte[Parallelism][];
    }

    /// <summary>How many chunks are resolved ahead of the reader at most.</summary>
    public int Parallelism { get; }

    public override long? ExpectedLength => _index.BlobSize;

    public override int Read(Span<byte> buffer) =>
        throw new NotSupportedException("A rebuild is read asynchronously (ReadAsync).");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_whole is not null)
        {
            return await _whole.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        if (_current is null || _currentPosition == _currentLength)
        {
            if (_consumed == _index.Chunks.Count)
            {
                return 0;
            }

            // The chunk before this one is used up: its buffer may take the next chunk of the window.
            while (_scheduled < _index.Chunks.Count && _scheduled < _consumed + Parallelism)
            {
                var chunk = _index.Chunks[_scheduled];
                var slot = _buffers[_scheduled % Parallelism] ??= new byte[_largest];
                _ahead.Enqueue(Task.Run(() => ResolveAsync(chunk, slot.AsMemory(0, chunk.Length), _stop.Token)));
                _scheduled++;
            }

            // Taken off the queue only once it is here: a read cancelled while waiting leaves the chunk
            // at the head, for the next read to deliver, instead of skipping it.
            var resolution = await _ahead.Peek().WaitAsync(cancellationToken).ConfigureAwait(false);
            _ = _ahead.Dequeue();
            if (resolution.Missing is { } why)
            {
                return await FallBackAsync(why, buffer, cancellationToken).ConfigureAwait(false);
            }

            _current = _buffers[_consumed % Parallelism];
            _currentLength = _index.Chunks[_consumed].Length;
            _currentPosition = 0;
            _consumed++;
        }

        var count = Math.Min(buffer.Length, _currentLength - _currentPosition);
        _current.AsSpan(_currentPosition, count).CopyTo(buffer.Span);
        _currentPosition += count;
        _delivered += count;
        return count;
    }

    private async Task<int> FallBackAsync(string why, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_wholeFile is null)
        {
            throw new UpdateException($"Cannot rebuild the file: {why}.");
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _logger.LogWarning("Falling back to downloading the whole file after {Bytes} bytes of the rebuild: {Reason}.", _delivered, why);
        _counters.Active = false;
        _whole = await _wholeFile(_delivered, cancellationToken).ConfigureAwait(false);
        return await _whole.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Resolution> ResolveAsync(IndexedChunk chunk, Memory<byte> destination, CancellationToken cancellationToken)
    {
        foreach (var seed in _seeds)
        {
            if (await seed.TryReadAsync(chunk, destination, cancellationToken).ConfigureAwait(false)
                && ChunkId.Compute(destination.Span) == chunk.Id)
            {
                _counters.AddReused(chunk.Length);
                return default;
            }
        }

        if (_remote is null)
        {
            return new Resolution($"no seed has chunk {chunk.Id} (bytes {chunk.Offset}-{chunk.End - 1}) and there is no chunk store");
        }

        bool found;
        try
        {
            found = await _remote.TryReadAsync(chunk, destination, cancellationToken).ConfigureAwait(false);
        }
        catch (CasyncFormatException e)
        {
            throw new VerificationException($"Refusing {UntrustedText.Escape(_remoteName)}: {e.Message}", e);
        }
        catch (DownloadException e)
        {
            return new Resolution($"chunk {chunk.Id} could not be fetched ({e.Message})");
        }

        if (!found)
        {
            return new Resolution($"{UntrustedText.Escape(_remoteName)} does not have chunk {chunk.Id}");
        }

        // Whatever the source promised, nothing is used before it hashes to its ID (a source that
        // decodes with ChunkStore.Decode has hashed it already, and refused it if it did not).
        var actual = _remote.ChecksIds ? chunk.Id : ChunkId.Compute(destination.Span);
        if (actual != chunk.Id)
        {
            throw new VerificationException($"Refusing {UntrustedText.Escape(_remoteName)}: it sent bytes whose SHA-512/256 is {actual} for chunk {chunk.Id}.");
        }

        _counters.AddFetched(chunk.Length);
        return default;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _stop.Cancel();
            _whole?.Dispose();
            foreach (var owned in _owned)
            {
                owned.Dispose();
            }

            _stop.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            foreach (var pending in _ahead)
            {
                try
                {
                    await pending.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Abandoned look-ahead: its outcome no longer matters.
                }
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A resolved chunk (Missing null), or why it could not be had.</summary>
    private readonly record struct Resolution(string? Missing);
}
