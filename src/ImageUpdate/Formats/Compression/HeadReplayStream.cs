using ImageUpdate.Foundation.Streams;

namespace ImageUpdate.Formats.Compression;

/// <summary>
/// Gives back the bytes already read to detect the format, then the rest of the underlying stream:
/// peeking at the magic works on pipes and sockets, which cannot seek back. Also the read-only view
/// handed out for uncompressed data.
/// </summary>
internal sealed class HeadReplayStream : ForwardReadStream
{
    private readonly byte[] _head;
    private readonly Stream _rest;
    private readonly bool _leaveOpen;
    private int _headOffset;
    private bool _disposed;

    internal HeadReplayStream(ReadOnlySpan<byte> head, Stream rest, bool leaveOpen)
    {
        _head = head.ToArray();
        _rest = rest;
        _leaveOpen = leaveOpen;
    }

    public override bool CanRead => !_disposed;

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return TakeHead(buffer, out var copied) ? copied : _rest.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return TakeHead(buffer.Span, out var copied) ? ValueTask.FromResult(copied) : _rest.ReadAsync(buffer, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            if (disposing && !_leaveOpen)
            {
                _rest.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private bool TakeHead(Span<byte> buffer, out int copied)
    {
        copied = Math.Min(buffer.Length, _head.Length - _headOffset);
        if (copied <= 0)
        {
            return false;
        }

        _head.AsSpan(_headOffset, copied).CopyTo(buffer);
        _headOffset += copied;
        return true;
    }
}
