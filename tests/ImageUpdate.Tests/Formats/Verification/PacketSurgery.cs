using System.Buffers.Binary;

namespace ImageUpdate.Tests.Formats.Verification;

/// <summary>
/// Edits one packet of a binary OpenPGP stream (gpg's output) and frames it again with the length
/// fixed up, so a test can hand the parser a packet whose header is right and whose body is not.
/// </summary>
internal static class PacketSurgery
{
    /// <summary>Appends <paramref name="extra"/> to the body of the first packet with <paramref name="tag"/>.</summary>
    public static byte[] AppendToBody(byte[] stream, int tag, params byte[] extra)
    {
        var output = new List<byte>();
        var done = false;
        var offset = 0;
        while (offset < stream.Length)
        {
            var (packetTag, headerLength, bodyLength) = Header(stream.AsSpan(offset));
            var body = stream.AsSpan(offset + headerLength, bodyLength).ToArray();
            if (packetTag == tag && !done)
            {
                output.AddRange(PgpPacketBuilder.Packet(tag, [.. body, .. extra]));
                done = true;
            }
            else
            {
                output.AddRange(stream.AsSpan(offset, headerLength + bodyLength).ToArray());
            }

            offset += headerLength + bodyLength;
        }

        Assert.True(done, $"no packet of type {tag}");
        return [.. output];
    }

    private static (int Tag, int HeaderLength, int BodyLength) Header(ReadOnlySpan<byte> data)
    {
        if ((data[0] & 0x40) != 0)
        {
            var first = data[1];
            return first switch
            {
                < 192 => (data[0] & 0x3f, 2, first),
                < 224 => (data[0] & 0x3f, 3, ((first - 192) << 8) + data[2] + 192),
                _ => (data[0] & 0x3f, 6, (int)BinaryPrimitives.ReadUInt32BigEndian(data[2..])),
            };
        }

        return (data[0] & 0x03) switch
        {
            0 => ((data[0] >> 2) & 0x0f, 2, data[1]),
            1 => ((data[0] >> 2) & 0x0f, 3, BinaryPrimitives.ReadUInt16BigEndian(data[1..])),
            _ => ((data[0] >> 2) & 0x0f, 5, (int)BinaryPrimitives.ReadUInt32BigEndian(data[1..])),
        };
    }
}
