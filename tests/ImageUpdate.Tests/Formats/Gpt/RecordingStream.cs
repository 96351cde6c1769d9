namespace ImageUpdate.Tests.Formats.Gpt;

/// <summary>A MemoryStream that logs every write (offset, bytes) and every flush, to replay crashes.</summary>
internal sealed class RecordingStream(byte[] initial) : MemoryStream(initial.ToArray())
{
    public List<(long Offset, byte[]? Bytes)> Log { get; } = [];

    // MemoryStream's span overload calls this one when subclassed, so logging here sees every write once.
    public override void Write(byte[] buffer, int offset, int count)
    {
        Log.Add((Position, buffer.AsSpan(offset, count).ToArray()));
        base.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);

    public override void Flush()
    {
        Log.Add((-1, null));
        base.Flush();
    }
}
