using ImageUpdate.Foundation.Streams;

namespace ImageUpdate.Tests.Formats.Compression;

/// <summary>A pipe-like stream: cannot seek and hands out at most a few bytes per read.</summary>
public sealed class TricklingStream(byte[] data, int maximumRead) : ForwardReadStream
{
    private int _position;

    public override int Read(Span<byte> buffer)
    {
        var count = Math.Min(Math.Min(buffer.Length, maximumRead), data.Length - _position);
        data.AsSpan(_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));
}
