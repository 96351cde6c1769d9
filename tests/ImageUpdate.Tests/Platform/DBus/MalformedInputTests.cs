using ImageUpdate.Platform.DBus;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>One row per way the spec says bytes or signatures can be wrong; each must be a DBusProtocolException naming the fault.</summary>
public sealed class MalformedInputTests
{
    [Theory]
    [InlineData("b", "02000000", "neither 0 nor 1")]
    [InlineData("s", "01000000 6162", "not NUL-terminated")]
    [InlineData("s", "02000000 6100 00", "contains NUL")]
    [InlineData("s", "01000000 ff00", "not valid UTF-8")]
    [InlineData("s", "ff000000 00", "runs past the end")]
    [InlineData("s", "ffffffff 00", "runs past the end")]
    [InlineData("(yi)", "01 010000 02000000", "non-zero padding")]
    [InlineData("ai", "01000004 00000000", "longer than 67108864")]
    [InlineData("ai", "10000000 00000000", "runs past the end")]
    [InlineData("ai", "06000000 01000000 02000000", "ends at offset 12, not at 10")]
    [InlineData("o", "02000000 2f2f 00", "is not an object path")]
    [InlineData("o", "01000000 61 00", "is not an object path")]
    [InlineData("g", "01 7a 00", "'z' is not a type code")]
    [InlineData("g", "05 617b7673 7d00", "key is not a basic type")]
    [InlineData("v", "02 7979 00 01 02", "not a single complete type")]
    [InlineData("v", "00 00", "not a single complete type")]
    [InlineData("h", "00000000", "fd index 0 but only 0 fds")]
    [InlineData("u", "0100", "bytes needed")]
    [InlineData("x", "00000000", "bytes needed")]
    [InlineData("(", "00", "not a single complete type")]
    [InlineData("ii", "00", "not a single complete type")]
    [InlineData("a{sy}", "06000000 00000000 01000000 6100 01", "ends at offset 15, not at 14")]
    public void Malformed_values_are_protocol_errors(string type, string hex, string fragment)
    {
        var reader = new MessageReader(Hex.Bytes(hex), bigEndian: false);
        var error = Assert.Throws<DBusProtocolException>(() => reader.ReadValue(type));
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Variants_nested_past_64_containers_are_refused()
    {
        var bytes = new List<byte>();
        for (var i = 0; i < 65; i++)
        {
            bytes.AddRange([1, (byte)'v', 0]);
        }

        bytes.AddRange([1, (byte)'y', 0, 7]);
        var reader = new MessageReader(bytes.ToArray(), bigEndian: false);
        var error = Assert.Throws<DBusProtocolException>(() => reader.ReadValue("v"));
        Assert.Contains("more than 64 containers deep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Arrays_inside_a_variant_count_afresh_but_all_containers_stay_within_64()
    {
        // 20 arrays, a variant, 20 more arrays: 41 containers, no signature with more than 32 arrays.
        var inner = new MessageWriter();
        object value = 1;
        for (var i = 0; i < 20; i++)
        {
            value = new[] { value };
        }

        var outer = new Variant(new string('a', 20) + "i", value);
        object wrapped = outer;
        for (var i = 0; i < 20; i++)
        {
            wrapped = new[] { wrapped };
        }

        inner.WriteValue(new string('a', 20) + "v", wrapped);
        var reader = new MessageReader(inner.ToArray(), bigEndian: false);
        reader.ReadValue(new string('a', 20) + "v");
        Assert.Equal(0, reader.Remaining);

        // 32 arrays, a variant, 32 arrays: 65 containers.
        var deep = new Variant(new string('a', 32) + "i", Nest(1, 32));
        var error = Assert.Throws<DBusProtocolException>(() => new MessageWriter().WriteValue(new string('a', 32) + "v", Nest(deep, 32)));
        Assert.Contains("containers more than 64", error.Message, StringComparison.Ordinal);
    }

    private static object Nest(object value, int depth)
    {
        for (var i = 0; i < depth; i++)
        {
            value = new[] { value };
        }

        return value;
    }

    [Theory]
    [InlineData("a", "ends inside a container")]
    [InlineData("(", "a struct is not closed")]
    [InlineData("(ii", "a struct is not closed")]
    [InlineData("()", "an empty struct")]
    [InlineData("{sv}", "not an array element")]
    [InlineData("a{vs}", "key is not a basic type")]
    [InlineData("a{sss}", "exactly two types")]
    [InlineData("a{s}", "'}' closes nothing")]
    [InlineData("z", "'z' is not a type code")]
    [InlineData(")", "')' closes nothing")]
    public void Invalid_signatures_are_refused(string signature, string fragment)
    {
        var error = Assert.Throws<DBusProtocolException>(() => DBusSignature.Validate(signature));
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signature_of_256_bytes_is_refused_and_255_accepted()
    {
        DBusSignature.Validate(new string('y', 255));
        var error = Assert.Throws<DBusProtocolException>(() => DBusSignature.Validate(new string('y', 256)));
        Assert.Contains("more than 255", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Thirty_three_nested_arrays_or_structs_are_refused()
    {
        var arrays = Assert.Throws<DBusProtocolException>(() => DBusSignature.Validate(new string('a', 33) + "i"));
        Assert.Contains("arrays nest more than 32 deep", arrays.Message, StringComparison.Ordinal);
        var structs = Assert.Throws<DBusProtocolException>(() => DBusSignature.Validate(new string('(', 33) + "i" + new string(')', 33)));
        Assert.Contains("structs nest more than 32 deep", structs.Message, StringComparison.Ordinal);
        var dicts = Assert.Throws<DBusProtocolException>(() => DBusSignature.Validate(new string('(', 32) + "a{si}" + new string(')', 32)));
        Assert.Contains("structs nest more than 32 deep", dicts.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lone_surrogate_cannot_be_written_as_a_string()
    {
        var error = Assert.Throws<DBusProtocolException>(() => new MessageWriter().WriteString(new string((char)0xd800, 1)));
        Assert.Contains("must be valid UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Thirty_two_nested_arrays_and_structs_are_accepted()
    {
        DBusSignature.Validate(new string('a', 32) + "i");
        DBusSignature.Validate(new string('(', 32) + "i" + new string(')', 32));
        DBusSignature.Validate(new string('a', 32) + new string('(', 32) + "i" + new string(')', 32));
    }

    [Theory]
    [InlineData("l 01 00 01 00000000 00000000 00000000", "its serial is 0")]
    [InlineData("x 01 00 01 00000000 01000000 00000000", "endianness byte 0x78")]
    [InlineData("l 01 00 02 00000000 01000000 00000000", "protocol version 2")]
    [InlineData("l 01 00 01 00000008 01000000 00000000", "exceeds 134217728")]
    [InlineData("l 01 00 01 00000000 01000000 01000004", "longer than 67108864")]
    [InlineData("l 01 00 01 00000000 01000000 00000000", "lacks the required PATH")]
    [InlineData("l 02 00 01 00000000 01000000 00000000", "lacks the required REPLY_SERIAL")]
    [InlineData("l 03 00 01 00000000 01000000 08000000 05017500 01000000", "lacks the required ERROR_NAME")]
    [InlineData("l 02 00 01 00000000 01000000 08000000 05017500 00000000", "REPLY_SERIAL is 0")]
    [InlineData("l 02 00 01 00000000 01000000 0a000000 05017300 01000000 6100 000000000000", "REPLY_SERIAL has type 's'")]
    [InlineData("l 02 00 01 00000000 01000000 18000000 05017500 01000000 05017500 02000000 00000000 00000000", "appears twice")]
    [InlineData("l 02 00 01 04000000 01000000 08000000 05017500 01000000 01000000", "4 bytes follow the body")]
    [InlineData("l 02 00 01 00000000 01000000 08000000 09017500 01000000", "declares 1 unix fds but 0 arrived")]
    [InlineData("l 01 00 01 00000000 01000000 0a000000 02017300 01000000 6100 000000000000", "INTERFACE 'a' is not valid")]
    public void Malformed_headers_are_protocol_errors(string hex, string fragment)
    {
        var bytes = Hex.Bytes(hex.Replace("l ", "6c", StringComparison.Ordinal).Replace("x ", "78", StringComparison.Ordinal));
        var error = Assert.Throws<DBusProtocolException>(() =>
        {
            DBusMessage.GetTotalLength(bytes);
            DBusMessage.Decode(bytes);
        });
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_shorter_than_its_header_says_is_refused()
    {
        var bytes = (DBusMessage.MethodCall(null, "/", null, "Ping") with { Serial = 1 }).Encode().Bytes;
        var error = Assert.Throws<DBusProtocolException>(() => DBusMessage.Decode(bytes.AsMemory(0, bytes.Length - 1)));
        Assert.Contains("its header says 48", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_header_fields_are_ignored()
    {
        // Field 0x2a with a 'y' variant, then REPLY_SERIAL.
        var bytes = Hex.Bytes("6c020001 00000000 01000000 10000000 2a017900 07000000 05017500 01000000");
        Assert.Equal(1u, DBusMessage.Decode(bytes).ReplySerial);
    }

    [Theory]
    [InlineData("s", "a\0b", "may not contain NUL")]
    [InlineData("i", "text", "cannot be written as D-Bus type 'i'")]
    [InlineData("(ii)", "text", "cannot be written as D-Bus struct")]
    [InlineData("(", "text", "not a single complete D-Bus type")]
    public void Unwritable_values_are_refused(string type, string value, string fragment)
    {
        var error = Assert.Throws<DBusProtocolException>(() => new MessageWriter().WriteValue(type, value));
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_that_do_not_match_the_signature_count_are_refused()
    {
        var error = Assert.Throws<DBusProtocolException>(() => new MessageWriter().WriteValues("ii", [1]));
        Assert.Contains("needs 2 values, not 1", error.Message, StringComparison.Ordinal);
    }
}
