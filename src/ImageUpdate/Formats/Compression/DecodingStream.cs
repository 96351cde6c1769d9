using ImageUpdate.Foundation.Streams;

namespace ImageUpdate.Formats.Compression;

/// <summary>
/// The read-only, forward-only stream every native decoder shares: it keeps one large pinned input
/// buffer (so the codec may be handed its address between calls), refills it from the compressed
/// stream, and lets the codec write straight into the caller's buffer. Memory stays at one input
/// buffer plus the codec's own window whatever the size of the data.
/// </summary>
internal abstract class DecodingStream : ForwardReadStream
{
    internal const int InputBufferSize = 1 << 20;

    // A codec that neither consumes nor produces while it has input and output space is stuck on
    // data it will never accept; give up instead of spinning.
    private const int MaximumStalls = 8;

    private readonly Stream _compressed;
    private readonly bool _leaveOpen;
    private readonly byte[] _input = GC.AllocateUninitializedArray<byte>(InputBufferSize, pinned: true);
    private int _inputOffset;
    private int _inputCount;
    private bool _inputFinished;
    private bool _ended;
    private bool _disposed;
    private int _stalls;

    protected DecodingStream(Stream compressed, bool leaveOpen, CompressionKind kind)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        if (!compressed.CanRead)
        {
            throw new ArgumentException("The compressed stream must be readable.", nameof(compressed));
        }

        _compressed = compressed;
        _leaveOpen = leaveOpen;
        Kind = kind;
    }

    public CompressionKind Kind { get; }

    public override bool CanRead => !_disposed;

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty || _ended)
        {
            return 0;
        }

        while (true)
        {
            if (_inputCount == 0 && !_inputFinished)
            {
                Refilled(_compressed.Read(_input, 0, _input.Length));
            }

            if (TryStep(buffer, out var produced))
            {
                return produced;
            }
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty || _ended)
        {
            return 0;
        }

        while (true)
        {
            if (_inputCount == 0 && !_inputFinished)
            {
                Refilled(await _compressed.ReadAsync(_input.AsMemory(), cancellationToken).ConfigureAwait(false));
            }

            if (TryStep(buffer.Span, out var produced))
            {
                return produced;
            }
        }
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    /// <summary>
    /// Decodes as much of <paramref name="input"/> into <paramref name="output"/> as the codec will take.
    /// Returns true once the data is complete: the last stream ended, <paramref name="inputFinished"/> is
    /// set and nothing follows it. Throws <see cref="DecompressionException"/> on corrupt data.
    /// </summary>
    protected abstract bool Decode(ReadOnlySpan<byte> input, Span<byte> output, bool inputFinished, out int consumed, out int produced);

    protected abstract void ReleaseDecoder();

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            if (disposing)
            {
                ReleaseDecoder();
                if (!_leaveOpen)
                {
                    _compressed.Dispose();
                }
            }
        }

        base.Dispose(disposing);
    }

    private void Refilled(int count)
    {
        _inputOffset = 0;
        _inputCount = count;
        _inputFinished = count == 0;
    }

    /// <summary>One codec call; true when the read has its answer, false when it needs another round (usually more input).</summary>
    private bool TryStep(Span<byte> output, out int produced)
    {
        var ended = Decode(_input.AsSpan(_inputOffset, _inputCount), output, _inputFinished, out var consumed, out produced);
        _inputOffset += consumed;
        _inputCount -= consumed;
        if (ended)
        {
            _ended = true;
            return true;
        }

        if (produced > 0 || consumed > 0)
        {
            _stalls = 0;
            return produced > 0;
        }

        if (_inputFinished)
        {
            throw DecompressionException.Truncated(Kind);
        }

        if (_inputCount > 0 && ++_stalls > MaximumStalls)
        {
            throw DecompressionException.Corrupt(Kind, "the decoder accepts no more input");
        }

        return false;
    }
}
