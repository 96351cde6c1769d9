using ImageUpdate.Foundation.Streams;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Update.Transfers.Partitions;

/// <summary>
/// The bytes of one partition slot, read forward with pread(2) through a descriptor the stream owns;
/// it ends at the slot's end, so nothing that reads it (a verity superblock that declares more data
/// than the slot holds) can reach into the next partition.
/// </summary>
public sealed class SlotReadStream : ForwardReadStream
{
    private readonly SafeFileHandle _handle;
    private readonly long _end;
    private long _position;

    public SlotReadStream(SafeFileHandle handle, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _handle = handle;
        _position = offset;
        _end = offset + length;
    }

    public override long? ExpectedLength => _end - _position;

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, _end - _position);
        if (count <= 0)
        {
            return 0;
        }

        var read = RandomAccess.Read(_handle, buffer[..count], _position);
        _position += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var count = (int)Math.Min(buffer.Length, _end - _position);
        if (count <= 0)
        {
            return 0;
        }

        var read = await RandomAccess.ReadAsync(_handle, buffer[..count], _position, cancellationToken).ConfigureAwait(false);
        _position += read;
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
        }

        base.Dispose(disposing);
    }
}
