using System.Buffers.Binary;
using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// Marshals values into the D-Bus wire format (D-Bus Specification 0.41 §Marshaling) in either byte
/// order, padding each value to its alignment from the start of the buffer (the message, or its
/// 8-aligned body). CLR forms accepted by <see cref="WriteValue"/>: y byte, b bool, n short, q ushort,
/// i int, u uint, x long, t ulong, d double, s string, o <see cref="ObjectPath"/> (or string),
/// g <see cref="DBusSignature"/> (or string), h any <see cref="SafeHandle"/> of an fd, v
/// <see cref="Variant"/> (or a value <see cref="Variant.From"/> can type), arrays any IEnumerable
/// (byte[] for ay), dicts any IDictionary, structs object[] or a tuple.
/// </summary>
public sealed class MessageWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<SafeHandle> _fds = [];
    private byte[] _buffer = new byte[256];
    private int _arrays;
    private int _structs;
    private int _variants;
    private int _outerDepth;

    public MessageWriter(bool bigEndian = false)
    {
        BigEndian = bigEndian;
    }

    public bool BigEndian { get; }

    public int Length { get; private set; }

    /// <summary>The fds referenced by 'h' values, in index order; they must stay open until the message is sent.</summary>
    public IReadOnlyList<SafeHandle> UnixFds => _fds;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, Length);

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Pad(int alignment)
    {
        var padded = (Length + alignment - 1) & ~(alignment - 1);
        Reserve(padded - Length).Clear();
    }

    public void WriteByte(byte value) => Reserve(1)[0] = value;

    public void WriteBoolean(bool value) => WriteUInt32(value ? 1u : 0u);

    public void WriteInt16(short value) => WriteUInt16((ushort)value);

    public void WriteUInt16(ushort value)
    {
        Pad(2);
        var span = Reserve(2);
        if (BigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span, value);
        }
    }

    public void WriteInt32(int value) => WriteUInt32((uint)value);

    public void WriteUInt32(uint value)
    {
        Pad(4);
        var span = Reserve(4);
        if (BigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span, value);
        }
    }

    public void WriteInt64(long value) => WriteUInt64((ulong)value);

    public void WriteUInt64(ulong value)
    {
        Pad(8);
        var span = Reserve(8);
        if (BigEndian)
        {
            BinaryPrimitives.WriteUInt64BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span, value);
        }
    }

    public void WriteDouble(double value) => WriteUInt64(BitConverter.DoubleToUInt64Bits(value));

    /// <summary>§Marshaling STRING: UINT32 byte length, UTF-8 without NUL, then a NUL.</summary>
    public void WriteString(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new DBusProtocolException($"A D-Bus string may not contain NUL: '{UntrustedText.Escape(value)}'.");
        }

        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException)
        {
            throw new DBusProtocolException($"A D-Bus string must be valid UTF-8: '{UntrustedText.Escape(value)}'.");
        }

        WriteUInt32((uint)bytes.Length);
        bytes.CopyTo(Reserve(bytes.Length));
        WriteByte(0);
    }

    public void WriteObjectPath(ObjectPath path) => WriteString(path.Value);

    /// <summary>§Marshaling SIGNATURE: one length byte, the ASCII codes, a NUL.</summary>
    public void WriteSignature(DBusSignature signature)
    {
        WriteByte((byte)signature.Value.Length);
        Encoding.ASCII.GetBytes(signature.Value, Reserve(signature.Value.Length));
        WriteByte(0);
    }

    /// <summary>Writes the index of <paramref name="handle"/> in this message's fd list (adding it once).</summary>
    public void WriteUnixFd(SafeHandle handle)
    {
        var index = _fds.IndexOf(handle);
        if (index < 0)
        {
            if (_fds.Count >= DBusLimits.MaxUnixFds)
            {
                throw new DBusProtocolException($"A D-Bus message may carry at most {DBusLimits.MaxUnixFds} unix fds.");
            }

            index = _fds.Count;
            _fds.Add(handle);
        }

        WriteUInt32((uint)index);
    }

    public void WriteVariant(Variant variant)
    {
        if (_outerDepth + ++_variants + _arrays + _structs > DBusLimits.MaxTotalDepth)
        {
            throw new DBusProtocolException($"D-Bus values nest more than {DBusLimits.MaxTotalDepth} containers deep.");
        }

        WriteSignature(variant.Signature);
        var (arrays, structs) = (_arrays, _structs);
        _outerDepth += arrays + structs;
        _arrays = _structs = 0;
        WriteValueCore(variant.Signature.Value, variant.Value);
        (_arrays, _structs) = (arrays, structs);
        _outerDepth -= arrays + structs;
        _variants--;
    }

    /// <summary>Writes one value per complete type of <paramref name="signature"/>.</summary>
    public void WriteValues(DBusSignature signature, IReadOnlyList<object> values)
    {
        var types = signature.CompleteTypes;
        if (types.Count != values.Count)
        {
            throw new DBusProtocolException($"D-Bus signature '{signature}' needs {types.Count} values, not {values.Count}.");
        }

        for (var i = 0; i < types.Count; i++)
        {
            WriteValueCore(types[i], values[i]);
        }
    }

    /// <summary>Writes <paramref name="value"/> as the single complete type <paramref name="type"/>.</summary>
    public void WriteValue(string type, object value)
    {
        if (!DBusSignature.IsSingleCompleteType(type))
        {
            throw new DBusProtocolException($"'{UntrustedText.Escape(type)}' is not a single complete D-Bus type.");
        }

        WriteValueCore(type, value);
    }

    private void WriteValueCore(string type, object value)
    {
        switch (type[0])
        {
            case 'y': WriteByte(Convert<byte>(type, value)); break;
            case 'b': WriteBoolean(Convert<bool>(type, value)); break;
            case 'n': WriteInt16(Convert<short>(type, value)); break;
            case 'q': WriteUInt16(Convert<ushort>(type, value)); break;
            case 'i': WriteInt32(Convert<int>(type, value)); break;
            case 'u': WriteUInt32(Convert<uint>(type, value)); break;
            case 'x': WriteInt64(Convert<long>(type, value)); break;
            case 't': WriteUInt64(Convert<ulong>(type, value)); break;
            case 'd': WriteDouble(Convert<double>(type, value)); break;
            case 's': WriteString(Convert<string>(type, value)); break;
            case 'o': WriteObjectPath(value is string p ? new ObjectPath(p) : Convert<ObjectPath>(type, value)); break;
            case 'g': WriteSignature(value is string g ? new DBusSignature(g) : Convert<DBusSignature>(type, value)); break;
            case 'h': WriteUnixFd(Convert<SafeHandle>(type, value)); break;
            case 'v': WriteVariant(value as Variant ?? Variant.From(value)); break;
            case 'a': WriteArray(type, value); break;
            case '(': WriteStruct(type, value); break;
            default: throw new DBusProtocolException($"'{UntrustedText.Escape(type)}' is not a single complete D-Bus type.");
        }
    }

    private void WriteArray(string type, object value)
    {
        if (++_arrays > DBusLimits.MaxArrayDepth || _outerDepth + _arrays + _structs + _variants > DBusLimits.MaxTotalDepth)
        {
            throw new DBusProtocolException($"D-Bus arrays nest more than {DBusLimits.MaxArrayDepth} deep or containers more than {DBusLimits.MaxTotalDepth}.");
        }

        var element = type[1..];
        WriteUInt32(0);
        var lengthAt = Length - 4;
        Pad(DBusSignature.Alignment(element[0]));
        var start = Length;
        if (element[0] == '{')
        {
            var dict = Convert<IDictionary>(type, value);
            var key = element[1..2];
            var valueType = element[2..^1];
            foreach (DictionaryEntry entry in dict)
            {
                Pad(8);
                WriteValueCore(key, entry.Key);
                WriteValueCore(valueType, entry.Value ?? throw new DBusProtocolException("A D-Bus dict value may not be null."));
            }
        }
        else if (element == "y" && value is byte[] bytes)
        {
            bytes.CopyTo(Reserve(bytes.Length));
        }
        else
        {
            foreach (var item in Convert<IEnumerable>(type, value))
            {
                WriteValueCore(element, item ?? throw new DBusProtocolException("A D-Bus array element may not be null."));
            }
        }

        var length = Length - start;
        if (length > DBusLimits.MaxArrayLength)
        {
            throw new DBusProtocolException($"A D-Bus array of {length} bytes is longer than {DBusLimits.MaxArrayLength}.");
        }

        var lengthSpan = _buffer.AsSpan(lengthAt, 4);
        if (BigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(lengthSpan, (uint)length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(lengthSpan, (uint)length);
        }

        _arrays--;
    }

    private void WriteStruct(string type, object value)
    {
        if (++_structs > DBusLimits.MaxStructDepth || _outerDepth + _arrays + _structs + _variants > DBusLimits.MaxTotalDepth)
        {
            throw new DBusProtocolException($"D-Bus structs nest more than {DBusLimits.MaxStructDepth} deep or containers more than {DBusLimits.MaxTotalDepth}.");
        }

        var fields = value switch
        {
            object[] array => array,
            ITuple tuple => Enumerable.Range(0, tuple.Length).Select(i => tuple[i]!).ToArray(),
            _ => throw new DBusProtocolException($"A {value.GetType().Name} cannot be written as D-Bus struct '{type}'."),
        };
        Pad(8);
        WriteValues(new DBusSignature(type[1..^1]), fields);
        _structs--;
    }

    private static T Convert<T>(string type, object value) => value is T typed
        ? typed
        : throw new DBusProtocolException($"A {value.GetType().Name} cannot be written as D-Bus type '{UntrustedText.Escape(type)}'.");

    private Span<byte> Reserve(int count)
    {
        if (Length + count > _buffer.Length)
        {
            if ((long)Length + count > DBusLimits.MaxMessageLength)
            {
                throw new DBusProtocolException($"A D-Bus message may not exceed {DBusLimits.MaxMessageLength} bytes.");
            }

            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        }

        var span = _buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }
}
