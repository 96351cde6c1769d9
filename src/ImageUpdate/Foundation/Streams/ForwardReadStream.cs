namespace ImageUpdate.Foundation.Streams;

/// <summary>
/// What every read-only, forward-only stream of ours has in common: no writing, seeking, length or
/// position, a no-op flush, and the array overloads of Read and ReadAsync forwarded (after the usual
/// argument checks) to the span and memory ones, which each stream must implement itself, so that
/// neither pair can end up calling the other in a loop.
/// </summary>
public abstract class ForwardReadStream : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// The number of bytes the stream will yield, when told beforehand (a download's Content-Length),
    /// or null. Progress reads it, and the size checks before a write (a slot that fits, the room
    /// on an ESP): a wrong value costs a wrong total or a refusal, never a write past a target's
    /// end (the copy stops at a slot's end whatever it was told) nor unverified bytes installed.
    /// </summary>
    public virtual long? ExpectedLength => null;

    /// <summary>The length of a seekable stream, the <see cref="ExpectedLength"/> of one of ours, else null.</summary>
    public static long? ExpectedLengthOf(Stream stream) =>
        stream.CanSeek ? stream.Length : (stream as ForwardReadStream)?.ExpectedLength;

    public abstract override int Read(Span<byte> buffer);

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
