using System.Buffers.Binary;
using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// Reads D-Bus wire-format values (D-Bus Specification 0.41 §Marshaling) in either byte order. Every
/// length is checked against the spec's limit and the bytes that remain before it is used, padding
/// must be zero, booleans 0 or 1, strings valid UTF-8 without NUL; every fault is a
/// <see cref="DBusProtocolException"/>. Values come back as the CLR forms <see cref="MessageWriter"/>
/// takes: arrays as object[] (ay as byte[]), dicts as Dictionary&lt;object, object&gt;, structs as
/// object[], h as the <see cref="UnixFdHandle"/> at that index of the message's fds.
/// </summary>
public sealed class MessageReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlyMemory<byte> _data;
    private readonly IReadOnlyList<UnixFdHandle> _fds;
    private int _arrays;
    private int _structs;
    private int _variants;
    private int _outerDepth;

    /// <param name="data">The bytes from the start of the message (alignment counts from there).</param>
    /// <param name="position">Where reading starts.</param>
    public MessageReader(ReadOnlyMemory<byte> data, bool bigEndian, int position = 0, IReadOnlyList<UnixFdHandle>? fds = null)
    {
        _data = data;
        BigEndian = bigEndian;
        Position = position;
        _fds = fds ?? [];
    }

    public bool BigEndian { get; }

    public int Position { get; private set; }

    public int Remaining => _data.Length - Position;

    /// <summary>Skips to the next multiple of <paramref name="alignment"/>; the skipped bytes must be zero (§Marshaling).</summary>
    public void Align(int alignment)
    {
        var padded = (Position + alignment - 1) & ~(alignment - 1);
        foreach (var b in Take(padded - Position))
        {
            if (b != 0)
            {
                throw Malformed($"non-zero padding at offset {Position - 1}");
            }
        }
    }

    public byte ReadByte() => Take(1)[0];

    public bool ReadBoolean()
    {
        var value = ReadUInt32();
        return value switch
        {
            0 => false,
            1 => true,
            _ => throw Malformed($"boolean {value} is neither 0 nor 1"),
        };
    }

    public short ReadInt16() => (short)ReadUInt16();

    public ushort ReadUInt16()
    {
        Align(2);
        var span = Take(2);
        return BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(span) : BinaryPrimitives.ReadUInt16LittleEndian(span);
    }

    public int ReadInt32() => (int)ReadUInt32();

    public uint ReadUInt32()
    {
        Align(4);
        var span = Take(4);
        return BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);
    }

    public long ReadInt64() => (long)ReadUInt64();

    public ulong ReadUInt64()
    {
        Align(8);
        var span = Take(8);
        return BigEndian ? BinaryPrimitives.ReadUInt64BigEndian(span) : BinaryPrimitives.ReadUInt64LittleEndian(span);
    }

    public double ReadDouble() => BitConverter.UInt64BitsToDouble(ReadUInt64());

    public string ReadString()
    {
        var length = ReadUInt32();
        if (length >= (uint)Remaining)
        {
            throw Malformed($"a string of {length} bytes runs past the end");
        }

        return DecodeText(Take((int)length + 1), "string");
    }

    public ObjectPath ReadObjectPath()
    {
        var text = ReadString();
        return DBusNames.IsValidObjectPath(text) ? new ObjectPath(text) : throw Malformed($"'{UntrustedText.Escape(text)}' is not an object path");
    }

    public DBusSignature ReadSignature()
    {
        var length = ReadByte();
        if (length >= Remaining)
        {
            throw Malformed($"a signature of {length} bytes runs past the end");
        }

        return new DBusSignature(DecodeText(Take(length + 1), "signature"));
    }

    public UnixFdHandle ReadUnixFd()
    {
        var index = ReadUInt32();
        return index < (uint)_fds.Count ? _fds[(int)index] : throw Malformed($"fd index {index} but only {_fds.Count} fds came with the message");
    }

    public Variant ReadVariant()
    {
        if (_outerDepth + ++_variants + _arrays + _structs > DBusLimits.MaxTotalDepth)
        {
            throw Malformed($"values nest more than {DBusLimits.MaxTotalDepth} containers deep");
        }

        var signature = ReadSignature();
        if (!DBusSignature.IsSingleCompleteType(signature.Value))
        {
            throw Malformed($"variant signature '{UntrustedText.Escape(signature.Value)}' is not a single complete type");
        }

        // §Valid Signatures: the 32-array and 32-struct limits apply to each signature, so a
        // variant's value starts counting afresh; only the total of 64 spans variants.
        var (arrays, structs) = (_arrays, _structs);
        _outerDepth += arrays + structs;
        _arrays = _structs = 0;
        var value = ReadValueCore(signature.Value);
        (_arrays, _structs) = (arrays, structs);
        _outerDepth -= arrays + structs;
        _variants--;
        return new Variant(signature, value);
    }

    /// <summary>Reads one value per complete type of <paramref name="signature"/>.</summary>
    public IReadOnlyList<object> ReadValues(DBusSignature signature) =>
        signature.CompleteTypes.Select(ReadValueCore).ToArray();

    /// <summary>Reads one value of the single complete type <paramref name="type"/>.</summary>
    public object ReadValue(string type) => DBusSignature.IsSingleCompleteType(type)
        ? ReadValueCore(type)
        : throw Malformed($"'{UntrustedText.Escape(type)}' is not a single complete type");

    private object ReadValueCore(string type) => type[0] switch
    {
        'y' => ReadByte(),
        'b' => ReadBoolean(),
        'n' => ReadInt16(),
        'q' => ReadUInt16(),
        'i' => ReadInt32(),
        'u' => ReadUInt32(),
        'x' => ReadInt64(),
        't' => ReadUInt64(),
        'd' => ReadDouble(),
        's' => ReadString(),
        'o' => ReadObjectPath(),
        'g' => ReadSignature(),
        'h' => ReadUnixFd(),
        'v' => ReadVariant(),
        'a' => ReadArray(type),
        '(' => ReadStruct(type),
        _ => throw Malformed($"'{UntrustedText.Escape(type)}' is not a single complete type"),
    };

    /// <summary>
    /// Reads an array's length and its padding, checks both limits, and returns the offset where the
    /// elements end; callers read elements while <see cref="Position"/> is below it.
    /// </summary>
    public int ReadArrayHeader(char elementCode)
    {
        var length = ReadUInt32();
        if (length > DBusLimits.MaxArrayLength)
        {
            throw Malformed($"an array of {length} bytes is longer than {DBusLimits.MaxArrayLength}");
        }

        Align(DBusSignature.Alignment(elementCode));
        if (length > (uint)Remaining)
        {
            throw Malformed($"an array of {length} bytes runs past the end");
        }

        return Position + (int)length;
    }

    private object ReadArray(string type)
    {
        if (++_arrays > DBusLimits.MaxArrayDepth || _outerDepth + _arrays + _structs + _variants > DBusLimits.MaxTotalDepth)
        {
            throw Malformed($"arrays nest more than {DBusLimits.MaxArrayDepth} deep or containers more than {DBusLimits.MaxTotalDepth}");
        }

        var element = type[1..];
        var end = ReadArrayHeader(element[0]);
        object result;
        if (element == "y")
        {
            result = Take(end - Position).ToArray();
        }
        else if (element[0] == '{')
        {
            var dict = new Dictionary<object, object>();
            var key = element[1..2];
            var valueType = element[2..^1];
            while (Position < end)
            {
                Align(8);
                var k = ReadValueCore(key);
                dict[k] = ReadValueCore(valueType);
            }

            result = dict;
        }
        else
        {
            var items = new List<object>();
            while (Position < end)
            {
                items.Add(ReadValueCore(element));
            }

            result = items.ToArray();
        }

        if (Position != end)
        {
            throw Malformed($"an array's last element ends at offset {Position}, not at {end}");
        }

        _arrays--;
        return result;
    }

    private object[] ReadStruct(string type)
    {
        if (++_structs > DBusLimits.MaxStructDepth || _outerDepth + _arrays + _structs + _variants > DBusLimits.MaxTotalDepth)
        {
            throw Malformed($"structs nest more than {DBusLimits.MaxStructDepth} deep or containers more than {DBusLimits.MaxTotalDepth}");
        }

        Align(8);
        var fields = new List<object>();
        var inner = type[1..^1];
        for (var i = 0; i < inner.Length;)
        {
            var end = DBusSignature.CompleteTypeEnd(inner, i);
            fields.Add(ReadValueCore(inner[i..end]));
            i = end;
        }

        _structs--;
        return fields.ToArray();
    }

    private string DecodeText(ReadOnlySpan<byte> bytesWithNul, string what)
    {
        var bytes = bytesWithNul[..^1];
        if (bytesWithNul[^1] != 0)
        {
            throw Malformed($"a {what} is not NUL-terminated");
        }

        if (bytes.Contains((byte)0))
        {
            throw Malformed($"a {what} contains NUL: '{UntrustedText.Escape(bytes)}'");
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed($"a {what} is not valid UTF-8: '{UntrustedText.Escape(bytes)}'");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw Malformed($"{count} bytes needed at offset {Position} but only {Remaining} remain");
        }

        var span = _data.Span.Slice(Position, count);
        Position += count;
        return span;
    }

    private static DBusProtocolException Malformed(string why) => new($"Malformed D-Bus message: {why}.");
}
