using System.Buffers.Binary;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// Reads big-endian OpenPGP fields from a packet body, checking every length before it advances, so
/// truncated or lying input ends in a <see cref="VerificationException"/> naming <c>what</c> was read.
/// </summary>
internal ref struct PgpCursor
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _what;
    private int _position;

    public PgpCursor(ReadOnlySpan<byte> data, string what)
    {
        _data = data;
        _what = what;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public readonly ReadOnlySpan<byte> Rest => _data[_position..];

    public byte ReadByte() => Take(1)[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new VerificationException($"The {_what} is truncated: it needs {count} more bytes at offset {_position} but has {Remaining}.");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    /// <summary>
    /// RFC 4880 §3.2: a two-byte bit count, then the big-endian value in (bits+7)/8 bytes. Returns the
    /// value bytes with any leading zero bytes removed (a well-formed MPI has none; a sloppy one is
    /// harmless once they are gone).
    /// </summary>
    public ReadOnlySpan<byte> ReadMpi()
    {
        var bits = ReadUInt16();
        var value = Take((bits + 7) / 8);
        var first = value.IndexOfAnyExcept((byte)0);
        return first < 0 ? ReadOnlySpan<byte>.Empty : value[first..];
    }

    public readonly void ExpectEnd()
    {
        if (Remaining != 0)
        {
            throw new VerificationException($"The {_what} has {Remaining} unexpected bytes at its end.");
        }
    }
}
