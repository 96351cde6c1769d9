using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verification;

/// <summary>One OpenPGP packet: its tag and its body (header removed).</summary>
internal readonly record struct PgpPacket(int Tag, ReadOnlyMemory<byte> Body)
{
    /// <summary>
    /// Splits a binary OpenPGP stream into packets (RFC 4880 §4.2). Both header formats are read;
    /// partial body lengths and the old format's indeterminate length are refused, since keys and
    /// signatures never need them (RFC 4880 §4.2.2.4 allows partial lengths only for data packets).
    /// Packets read before a framing error are returned together with the error, so a keyring whose
    /// tail is damaged still yields the keys before it.
    /// </summary>
    public static List<PgpPacket> Split(ReadOnlyMemory<byte> data, string what, out VerificationException? error)
    {
        var packets = new List<PgpPacket>();
        error = null;
        var offset = 0;
        while (offset < data.Length)
        {
            try
            {
                var (tag, headerLength, bodyLength) = ReadHeader(data.Span[offset..], what, offset);
                packets.Add(new PgpPacket(tag, data.Slice(offset + headerLength, bodyLength)));
                offset += headerLength + bodyLength;
            }
            catch (VerificationException e)
            {
                error = e;
                break;
            }
        }

        return packets;
    }

    private static (int Tag, int HeaderLength, int BodyLength) ReadHeader(ReadOnlySpan<byte> data, string what, int offset)
    {
        var header = data[0];
        if ((header & 0x80) == 0)
        {
            throw new VerificationException($"The {what} holds no OpenPGP packet at offset {offset} (byte 0x{header:x2}).");
        }

        var cursor = new PgpCursor(data[1..], $"{what} packet header at offset {offset}");
        int tag;
        long length;
        if ((header & 0x40) != 0)
        {
            // New format: tag in the low six bits, then a one-, two- or five-byte length.
            tag = header & 0x3f;
            var first = cursor.ReadByte();
            length = first switch
            {
                < 192 => (long)first,
                < 224 => ((first - 192) << 8) + cursor.ReadByte() + 192,
                255 => (long)cursor.ReadUInt32(),
                _ => throw new VerificationException($"The {what} uses a partial body length at offset {offset}, which keys and signatures never need."),
            };
        }
        else
        {
            // Old format: tag in bits 5-2, length type in bits 1-0.
            tag = (header >> 2) & 0x0f;
            length = (header & 0x03) switch
            {
                0 => (long)cursor.ReadByte(),
                1 => (long)cursor.ReadUInt16(),
                2 => (long)cursor.ReadUInt32(),
                _ => throw new VerificationException($"The {what} uses an indeterminate packet length at offset {offset}, which is not supported."),
            };
        }

        var headerLength = 1 + cursor.Position;
        if (length > data.Length - headerLength)
        {
            throw new VerificationException($"The {what} is truncated: the packet at offset {offset} claims {length} bytes but only {data.Length - headerLength} follow.");
        }

        return (tag, headerLength, (int)length);
    }
}
