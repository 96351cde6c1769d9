using ImageUpdate.Platform.DBus;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>
/// Values against bytes worked out by hand from D-Bus Specification 0.41 §Marshaling (alignment from
/// the start of the buffer, array lengths excluding the padding after them), in both byte orders.
/// </summary>
public sealed class MarshallingGoldenTests
{
    public static TheoryData<string, object, string, string> BasicValues => new()
    {
        { "y", (byte)0xab, "ab", "ab" },
        { "b", true, "01000000", "00000001" },
        { "b", false, "00000000", "00000000" },
        { "n", (short)-2, "feff", "fffe" },
        { "q", (ushort)0x1234, "3412", "1234" },
        { "i", -1, "ffffffff", "ffffffff" },
        { "u", 0x01020304u, "04030201", "01020304" },
        { "x", 0x0102030405060708L, "0807060504030201", "0102030405060708" },
        { "t", 0xf0e0d0c0b0a09080UL, "8090a0b0c0d0e0f0", "f0e0d0c0b0a09080" },
        { "d", 1.0, "000000000000f03f", "3ff0000000000000" },
        { "s", "foo", "03000000 666f6f 00", "00000003 666f6f 00" },
        { "s", "", "00000000 00", "00000000 00" },
        { "s", "ü", "02000000 c3bc 00", "00000002 c3bc 00" },
        { "o", new ObjectPath("/a"), "02000000 2f61 00", "00000002 2f61 00" },
        { "g", new DBusSignature("a{sv}"), "05 617b73767d 00", "05 617b73767d 00" },
        { "ai", new[] { 1, 2 }, "08000000 01000000 02000000", "00000008 00000001 00000002" },
        { "ax", new[] { 1L }, "08000000 00000000 0100000000000000", "00000008 00000000 0000000000000001" },
        { "ax", Array.Empty<long>(), "00000000 00000000", "00000000 00000000" },
        { "ay", new byte[] { 1, 2, 3 }, "03000000 010203", "00000003 010203" },
        { "(yi)", new object[] { (byte)1, 2 }, "01 000000 02000000", "01 000000 00000002" },
        { "(yi)", ((byte)1, 2), "01 000000 02000000", "01 000000 00000002" },
        { "v", new Variant("ai", new[] { 7 }), "02 6169 00 04000000 07000000", "02 6169 00 00000004 00000007" },
        { "v", "hi", "01 73 00 00 02000000 6869 00", "01 73 00 00 00000002 6869 00" },
        {
            "a{sv}",
            new Dictionary<string, Variant> { ["a"] = new Variant("u", 1u) },
            "10000000 00000000 01000000 6100 017500 000000 01000000",
            "00000010 00000000 00000001 6100 017500 000000 00000001"
        },
        {
            "a(ss)",
            new[] { new object[] { "a", "b" } },
            "0e000000 00000000 01000000 6100 0000 01000000 6200",
            "0000000e 00000000 00000001 6100 0000 00000001 6200"
        },
    };

    [Theory]
    [MemberData(nameof(BasicValues))]
    public void Values_marshal_to_the_hand_computed_bytes_in_both_byte_orders(string type, object value, string little, string big)
    {
        foreach (var (bigEndian, expected) in new[] { (false, little), (true, big) })
        {
            var writer = new MessageWriter(bigEndian);
            writer.WriteValue(type, value);
            Assert.Equal(Hex.Normalize(expected), Hex.Of(writer.WrittenSpan));
        }
    }

    [Theory]
    [MemberData(nameof(BasicValues))]
    public void Hand_computed_bytes_read_back_to_the_same_bytes(string type, object value, string little, string big)
    {
        _ = value;
        foreach (var (bigEndian, hex) in new[] { (false, little), (true, big) })
        {
            var reader = new MessageReader(Hex.Bytes(hex), bigEndian);
            var read = reader.ReadValue(type);
            Assert.Equal(0, reader.Remaining);
            var writer = new MessageWriter(bigEndian);
            writer.WriteValue(type, read);
            Assert.Equal(Hex.Normalize(hex), Hex.Of(writer.WrittenSpan));
        }
    }

    [Fact]
    public void Values_after_a_byte_are_padded_to_their_alignment()
    {
        var writer = new MessageWriter();
        writer.WriteByte(1);
        writer.WriteUInt16(2);
        writer.WriteByte(3);
        writer.WriteUInt32(4);
        writer.WriteByte(5);
        writer.WriteUInt64(6);
        Assert.Equal(Hex.Normalize("01 00 0200 03 000000 04000000 05 000000 0600000000000000"), Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void A_method_call_header_has_the_hand_computed_layout_in_both_byte_orders()
    {
        var call = DBusMessage.MethodCall(null, "/", null, "Ping") with { Serial = 1 };
        const string little = "6c010001 00000000 01000000 1d000000 01016f00 01000000 2f00 000000000000 03017300 04000000 50696e67 00 000000";
        const string big = "42010001 00000000 00000001 0000001d 01016f00 00000001 2f00 000000000000 03017300 00000004 50696e67 00 000000";

        Assert.Equal(Hex.Normalize(little), Hex.Of(call.Encode(bigEndian: false).Bytes));
        Assert.Equal(Hex.Normalize(big), Hex.Of(call.Encode(bigEndian: true).Bytes));
        foreach (var hex in new[] { little, big })
        {
            var decoded = DBusMessage.Decode(Hex.Bytes(hex));
            Assert.Equal(MessageType.MethodCall, decoded.Type);
            Assert.Equal(1u, decoded.Serial);
            Assert.Equal("/", decoded.Path?.Value);
            Assert.Equal("Ping", decoded.Member);
            Assert.Empty(decoded.Body);
        }
    }

    [Fact]
    public void A_signal_with_a_body_has_the_hand_computed_layout()
    {
        var signal = DBusMessage.Signal("/a", "a.b", "C", "u", [7u]) with { Serial = 2 };
        // Fields: PATH at 16 (01 016f00, "/a" at 20 → 27), INTERFACE at 32 (02 017300, "a.b" at 36 → 44),
        // MEMBER at 48 (03 017300, "C" at 52 → 58), SIGNATURE at 64 (08 016700, "u" at 68 → 71).
        // Fields length 71 - 16 = 55; body at 72.
        const string expected =
            "6c040001 04000000 02000000 37000000" +
            "01016f00 02000000 2f6100 00000000 00" +
            "02017300 03000000 612e6200 00000000" +
            "03017300 01000000 4300 000000000000" +
            "08016700 01 75 00 00" +
            "07000000";
        Assert.Equal(Hex.Normalize(expected), Hex.Of(signal.Encode().Bytes));
        var decoded = DBusMessage.Decode(Hex.Bytes(expected));
        Assert.Equal(new object[] { 7u }, decoded.Body);
        Assert.Equal("u", decoded.Signature.Value);
    }
}
