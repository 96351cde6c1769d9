namespace ImageUpdate.Formats.Verity;

/// <summary>
/// A write-only stream that passes every byte on to <see cref="Inner"/> and feeds the same bytes to a
/// <see cref="VerityHashTreeBuilder"/>, so a data partition is hashed while it is written, in the
/// same pass. The inner stream is not disposed with this one.
/// </summary>
public sealed class VerityHashingStream : Stream
{
    public VerityHashingStream(Stream inner, VerityHashTreeBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(builder);
        if (!inner.CanWrite)
        {
            throw new ArgumentException("The stream under a verity hashing stream must be writable.", nameof(inner));
        }

        Inner = inner;
        Builder = builder;
    }

    /// <summary>Where the data goes.</summary>
    public Stream Inner { get; }

    /// <summary>What hashes it.</summary>
    public VerityHashTreeBuilder Builder { get; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => Builder.BytesAppended;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Builder.Append(buffer);
        Inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Builder.Append(buffer.Span);
        return Inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => Inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
