using System.Buffers.Binary;

namespace ImageUpdate.Formats.Verification.Signing;

/// <summary>Writes OpenPGP packets and MPIs in the forms RFC 4880 §4.2.2 and §3.2 define.</summary>
internal static class PgpPacketWriter
{
    /// <summary>
    /// A new-format header (RFC 4880 §4.2.2: 0xC0 | tag, then a one-, two- or five-byte length),
    /// followed by the body. gpg writes old-format headers for keys; readers accept both.
    /// </summary>
    public static void WritePacket(Stream output, int tag, ReadOnlySpan<byte> body)
    {
        output.WriteByte((byte)(0xc0 | tag));
        WriteLength(output, body.Length);
        output.Write(body);
    }

    public static byte[] Packet(int tag, ReadOnlySpan<byte> body)
    {
        using var output = new MemoryStream();
        WritePacket(output, tag, body);
        return output.ToArray();
    }

    /// <summary>RFC 4880 §3.2: the bit count of the value without leading zeros, then its bytes.</summary>
    public static void WriteMpi(Stream output, ReadOnlySpan<byte> value)
    {
        var first = value.IndexOfAnyExcept((byte)0);
        var trimmed = first < 0 ? ReadOnlySpan<byte>.Empty : value[first..];
        var bits = trimmed.IsEmpty ? 0 : (trimmed.Length * 8) - byte.LeadingZeroCount(trimmed[0]);
        Span<byte> count = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(count, (ushort)bits);
        output.Write(count);
        output.Write(trimmed);
    }

    /// <summary>A signature subpacket (RFC 4880 §5.2.3.1): length covering type and data, type, data.</summary>
    public static void WriteSubpacket(Stream output, int type, ReadOnlySpan<byte> data)
    {
        WriteLength(output, data.Length + 1);
        output.WriteByte((byte)type);
        output.Write(data);
    }

    // The same one-, two- and five-byte length encoding serves packets and subpackets.
    private static void WriteLength(Stream output, int length)
    {
        if (length < 192)
        {
            output.WriteByte((byte)length);
        }
        else if (length < 8384)
        {
            var rest = length - 192;
            output.WriteByte((byte)((rest >> 8) + 192));
            output.WriteByte((byte)rest);
        }
        else
        {
            Span<byte> five = stackalloc byte[5];
            five[0] = 0xff;
            BinaryPrimitives.WriteUInt32BigEndian(five[1..], (uint)length);
            output.Write(five);
        }
    }
}
