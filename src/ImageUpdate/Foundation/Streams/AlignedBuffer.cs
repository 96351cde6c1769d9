using System.Buffers;
using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Streams;

/// <summary>
/// A block of native memory aligned for O_DIRECT (the buffer address must be a multiple of the device's
/// logical block size), handed out as <see cref="Memory{T}"/>. Freed by Dispose, after every user is done.
/// </summary>
public sealed unsafe class AlignedBuffer : MemoryManager<byte>
{
    /// <summary>4096: a multiple of every logical block size a GPT disk may have (512 to 4096).</summary>
    public const int Alignment = 4096;

    private readonly int _length;
    private void* _pointer;

    public AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        _length = length;
        _pointer = NativeMemory.AlignedAlloc((nuint)length, Alignment);
    }

    public int Length => _length;

    public override Span<byte> GetSpan() =>
        _pointer is null ? throw new ObjectDisposedException(nameof(AlignedBuffer)) : new Span<byte>(_pointer, _length);

    /// <summary>Native memory never moves: pinning is a no-op.</summary>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        return new MemoryHandle((byte*)_pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_pointer is not null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}
