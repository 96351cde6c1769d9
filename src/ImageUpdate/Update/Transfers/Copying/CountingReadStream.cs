using ImageUpdate.Foundation.Streams;

namespace ImageUpdate.Update.Transfers.Copying;

/// <summary>
/// A read-only pass-through that counts the bytes read from the source before decompression, so progress
/// can be told from the compressed length when the uncompressed size is not known.
/// </summary>
public sealed class CountingReadStream : ForwardReadStream
{
    private readonly Stream _inner;
    private long _bytesRead;

    public CountingReadStream(Stream inner)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    }

    /// <summary>Read by the progress reporter on another thread: a 64-bit read is atomic there.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public override int Read(Span<byte> buffer) => Count(_inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    private int Count(int read)
    {
        Interlocked.Add(ref _bytesRead, read);
        return read;
    }
}
