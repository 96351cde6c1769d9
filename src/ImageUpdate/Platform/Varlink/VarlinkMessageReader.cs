namespace ImageUpdate.Platform.Varlink;

/// <summary>
/// Splits a byte stream into Varlink messages: each is a JSON text ended by one NUL byte
/// (varlink.org "Transport"). A message longer than <see cref="VarlinkLimits.MaxMessageBytes"/> and
/// a stream that ends inside a message are errors; a stream that ends between messages is the peer's
/// normal hang-up.
/// </summary>
public sealed class VarlinkMessageReader
{
    private readonly Stream _stream;
    private readonly int _maxMessageBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;

    public VarlinkMessageReader(Stream stream, int maxMessageBytes = VarlinkLimits.MaxMessageBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 1);
        _stream = stream;
        _maxMessageBytes = maxMessageBytes;
        _buffer = new byte[Math.Min(VarlinkLimits.ReadChunkBytes, maxMessageBytes + 1)];
    }

    /// <summary>The next message without its NUL, or null when the peer hung up between messages.</summary>
    public async Task<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            var nul = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)0);
            if (nul >= 0)
            {
                var length = scanned + nul;
                var message = _buffer.AsMemory(_start, length).ToArray();
                _start += length + 1;
                return message;
            }

            scanned = _end - _start;
            if (scanned > _maxMessageBytes)
            {
                throw new VarlinkException($"Varlink message exceeds {_maxMessageBytes} bytes without its terminating NUL.");
            }

            MakeRoom();
            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return scanned == 0
                    ? null
                    : throw new VarlinkException($"Varlink peer hung up inside a message ({scanned} bytes without the terminating NUL).");
            }

            _end += read;
        }
    }

    /// <summary>Moves unread bytes to the front, growing the buffer (up to the bound plus one byte) when full.</summary>
    private void MakeRoom()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            var grown = new byte[(int)Math.Min((long)_buffer.Length * 2, (long)_maxMessageBytes + 1)];
            _buffer.AsSpan(0, _end).CopyTo(grown);
            _buffer = grown;
        }
    }
}
