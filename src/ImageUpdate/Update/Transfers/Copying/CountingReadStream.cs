using ImageUpdate.Foundation.Streams;

namespace ImageUpdate.Update.Transfers.Copying;

/// <summary>
/// A read-only pass-through that counts the bytes read from the source before decompression, so progress
/// can be told from the compressed length when the uncompressed size is not known, and so a copy that
/// has no write loop of its own (a tar extraction) can report as it reads.
/// </summary>
public sealed class CountingReadStream : ForwardReadStream
{
    private readonly Stream _inner;
    private long _bytesRead;
    private long _reported;

    public CountingReadStream(Stream inner)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    }

    /// <summary>
    /// Called on the reading side with the running total, at most once per <see cref="ReportStep"/>
    /// bytes and at the end; set once what the bytes mean is known (after the compression is detected).
    /// </summary>
    public Action<long>? OnRead { get; set; }

    /// <summary>How many bytes pass between two calls of the read callback (a tar's small reads would otherwise flood it).</summary>
    public const int ReportStep = 256 << 10;

    /// <summary>Read by the progress reporter on another thread: a 64-bit read is atomic there.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public override int Read(Span<byte> buffer) => Count(_inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    private int Count(int read)
    {
        var total = Interlocked.Add(ref _bytesRead, read);
        if (OnRead is { } report && (total - _reported >= ReportStep || (read == 0 && total != _reported)))
        {
            _reported = total;
            report(total);
        }

        return read;
    }
}
