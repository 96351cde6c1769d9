using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// The message layout of D-Bus Specification 0.41 §Message Format: a 16-byte fixed part (endianness,
/// type, flags, version 1, body length, serial, header field array length), the a(yv) header fields,
/// padding to 8, the body.
/// </summary>
public sealed partial record DBusMessage
{
    private const int EndiannessOffset = 0;
    private const int TypeOffset = EndiannessOffset + 1;
    private const int FlagsOffset = TypeOffset + 1;
    private const int VersionOffset = FlagsOffset + 1;
    private const int BodyLengthOffset = VersionOffset + 1;
    private const int SerialOffset = BodyLengthOffset + 4;
    private const int FieldsLengthOffset = SerialOffset + 4;
    private const byte ProtocolVersion = 1;

    private enum HeaderField : byte
    {
        Path = 1,
        Interface = 2,
        Member = 3,
        ErrorName = 4,
        ReplySerial = 5,
        Destination = 6,
        Sender = 7,
        Signature = 8,
        UnixFds = 9,
    }

    /// <summary>The wire bytes of this message and the fds its 'h' values reference (they must stay open until sent).</summary>
    public (byte[] Bytes, IReadOnlyList<SafeHandle> UnixFds) Encode(bool bigEndian = false)
    {
        if (Serial == 0)
        {
            throw new DBusProtocolException("A D-Bus message needs a nonzero serial before it is encoded.");
        }

        CheckRequiredFields();
        var body = new MessageWriter(bigEndian);
        body.WriteValues(Signature, Body);

        var header = new MessageWriter(bigEndian);
        header.WriteByte(bigEndian ? (byte)'B' : (byte)'l');
        header.WriteByte((byte)Type);
        header.WriteByte((byte)Flags);
        header.WriteByte(ProtocolVersion);
        header.WriteUInt32((uint)body.Length);
        header.WriteUInt32(Serial);
        var fields = new List<object>();
        void Add(HeaderField code, string type, object? value)
        {
            if (value is not null)
            {
                fields.Add(new object[] { (byte)code, new Variant(type, value) });
            }
        }

        Add(HeaderField.Path, "o", Path);
        Add(HeaderField.Interface, "s", Interface);
        Add(HeaderField.Member, "s", Member);
        Add(HeaderField.ErrorName, "s", ErrorName);
        Add(HeaderField.ReplySerial, "u", ReplySerial);
        Add(HeaderField.Destination, "s", Destination);
        Add(HeaderField.Sender, "s", Sender);
        Add(HeaderField.Signature, "g", Signature.Value.Length > 0 ? (object)Signature : null);
        Add(HeaderField.UnixFds, "u", body.UnixFds.Count > 0 ? (object)(uint)body.UnixFds.Count : null);
        header.WriteValue("a(yv)", fields);
        header.Pad(8);

        if ((long)header.Length + body.Length > DBusLimits.MaxMessageLength)
        {
            throw new DBusProtocolException($"A D-Bus message of {(long)header.Length + body.Length} bytes exceeds {DBusLimits.MaxMessageLength}.");
        }

        var bytes = new byte[header.Length + body.Length];
        header.WrittenSpan.CopyTo(bytes);
        body.WrittenSpan.CopyTo(bytes.AsSpan(header.Length));
        return (bytes, body.UnixFds);
    }

    /// <summary>
    /// The whole message's length from its first 16 bytes, checked against the 128 MiB limit before
    /// anyone allocates for it.
    /// </summary>
    public static int GetTotalLength(ReadOnlySpan<byte> fixedHeader)
    {
        if (fixedHeader.Length < DBusLimits.FixedHeaderLength)
        {
            throw Malformed($"the fixed header is {fixedHeader.Length} bytes, not {DBusLimits.FixedHeaderLength}");
        }

        var bigEndian = fixedHeader[EndiannessOffset] switch
        {
            (byte)'l' => false,
            (byte)'B' => true,
            var other => throw Malformed($"endianness byte 0x{other:x2} is neither 'l' nor 'B'"),
        };
        if (fixedHeader[VersionOffset] != ProtocolVersion)
        {
            throw Malformed($"protocol version {fixedHeader[VersionOffset]} is not 1");
        }

        var bodyLength = ReadUInt32(fixedHeader[BodyLengthOffset..], bigEndian);
        var fieldsLength = ReadUInt32(fixedHeader[FieldsLengthOffset..], bigEndian);
        if (fieldsLength > DBusLimits.MaxArrayLength)
        {
            throw Malformed($"the header field array of {fieldsLength} bytes is longer than {DBusLimits.MaxArrayLength}");
        }

        var headerLength = (DBusLimits.FixedHeaderLength + (long)fieldsLength + 7) & ~7L;
        var total = headerLength + bodyLength;
        return total <= DBusLimits.MaxMessageLength
            ? (int)total
            : throw Malformed($"its length {total} exceeds {DBusLimits.MaxMessageLength}");
    }

    /// <summary>
    /// Parses one whole message. <paramref name="availableFds"/> are the fds received since the
    /// previous message; the first UNIX_FDS of them belong to this one.
    /// </summary>
    public static DBusMessage Decode(ReadOnlyMemory<byte> bytes, IReadOnlyList<UnixFdHandle>? availableFds = null)
    {
        var total = GetTotalLength(bytes.Span);
        if (total != bytes.Length)
        {
            throw Malformed($"it is {bytes.Length} bytes but its header says {total}");
        }

        var span = bytes.Span;
        var bigEndian = span[EndiannessOffset] == (byte)'B';
        var serial = ReadUInt32(span[SerialOffset..], bigEndian);
        if (serial == 0)
        {
            throw Malformed("its serial is 0");
        }

        var reader = new MessageReader(bytes, bigEndian, FieldsLengthOffset);
        var end = reader.ReadArrayHeader('(');
        var message = new DBusMessage
        {
            Type = (MessageType)span[TypeOffset],
            Flags = (MessageFlags)span[FlagsOffset],
            Serial = serial,
        };
        uint fdCount = 0;
        var seen = new HashSet<byte>();
        while (reader.Position < end)
        {
            reader.Align(8);
            var code = reader.ReadByte();
            var variant = reader.ReadVariant();
            if (code is >= (byte)HeaderField.Path and <= (byte)HeaderField.UnixFds && !seen.Add(code))
            {
                throw Malformed($"header field {code} appears twice");
            }

            message = ApplyField(message, (HeaderField)code, variant, ref fdCount);
        }

        if (reader.Position != end)
        {
            throw Malformed("the header fields overrun their array");
        }

        reader.Align(8);
        if (fdCount > (availableFds?.Count ?? 0))
        {
            throw Malformed($"it declares {fdCount} unix fds but {availableFds?.Count ?? 0} arrived");
        }

        var fds = availableFds?.Take((int)fdCount).ToArray() ?? [];
        var bodyReader = new MessageReader(bytes, bigEndian, reader.Position, fds);
        var body = bodyReader.ReadValues(message.Signature);
        if (bodyReader.Remaining != 0)
        {
            throw Malformed($"{bodyReader.Remaining} bytes follow the body its signature '{message.Signature}' describes");
        }

        message = message with { Body = body, UnixFds = fds };
        message.CheckRequiredFields();
        return message;
    }

    private static DBusMessage ApplyField(DBusMessage message, HeaderField code, Variant variant, ref uint fdCount)
    {
        string Text(string field) => variant.Value is string text
            ? text
            : throw Malformed($"header field {field} has type '{variant.Signature}'");

        string Checked(string field, Func<string, bool> valid)
        {
            var text = Text(field);
            return valid(text) ? text : throw Malformed($"header field {field} '{UntrustedText.Escape(text)}' is not valid");
        }

        uint Number(string field) => variant.Value is uint number
            ? number
            : throw Malformed($"header field {field} has type '{variant.Signature}'");

        switch (code)
        {
            case HeaderField.Path:
                return message with { Path = variant.Value is ObjectPath path ? path : throw Malformed($"header field PATH has type '{variant.Signature}'") };
            case HeaderField.Interface:
                return message with { Interface = Checked("INTERFACE", DBusNames.IsValidInterface) };
            case HeaderField.Member:
                return message with { Member = Checked("MEMBER", DBusNames.IsValidMember) };
            case HeaderField.ErrorName:
                return message with { ErrorName = Checked("ERROR_NAME", DBusNames.IsValidErrorName) };
            case HeaderField.ReplySerial:
                var replySerial = Number("REPLY_SERIAL");
                return replySerial != 0 ? message with { ReplySerial = replySerial } : throw Malformed("REPLY_SERIAL is 0");
            case HeaderField.Destination:
                return message with { Destination = Checked("DESTINATION", DBusNames.IsValidBusName) };
            case HeaderField.Sender:
                return message with { Sender = Checked("SENDER", DBusNames.IsValidBusName) };
            case HeaderField.Signature:
                return message with { Signature = variant.Value is DBusSignature signature ? signature : throw Malformed($"header field SIGNATURE has type '{variant.Signature}'") };
            case HeaderField.UnixFds:
                fdCount = Number("UNIX_FDS");
                return fdCount <= DBusLimits.MaxUnixFds ? message : throw Malformed($"UNIX_FDS {fdCount} exceeds {DBusLimits.MaxUnixFds}");
            default:
                // §Message Format: "Header fields with an unknown or unexpected field code must be ignored".
                return message;
        }
    }

    /// <summary>§Message Types: the header fields each type requires.</summary>
    private void CheckRequiredFields()
    {
        string? missing = Type switch
        {
            MessageType.MethodCall when Path is null => "PATH",
            MessageType.MethodCall when Member is null => "MEMBER",
            MessageType.Signal when Path is null => "PATH",
            MessageType.Signal when Interface is null => "INTERFACE",
            MessageType.Signal when Member is null => "MEMBER",
            MessageType.MethodReturn when ReplySerial is null => "REPLY_SERIAL",
            MessageType.Error when ErrorName is null => "ERROR_NAME",
            MessageType.Error when ReplySerial is null => "REPLY_SERIAL",
            _ => null,
        };
        if (missing is not null)
        {
            throw Malformed($"a {Type} message lacks the required {missing} header field");
        }
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> span, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);

    private static DBusProtocolException Malformed(string why) => new($"Malformed D-Bus message: {why}.");
}
