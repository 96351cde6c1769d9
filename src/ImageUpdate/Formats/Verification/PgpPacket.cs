using System.Buffers.Binary;
using ImageUpdate.Foundation.Errors;
using Org.BouncyCastle.Bcpg;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// One OpenPGP packet as framed in a byte stream (RFC 4880 §4.2): its tag, its body and its whole
/// encoding (header included), which is what <see cref="PgpPacketReader"/> hands to BouncyCastle.
/// </summary>
/// <remarks>
/// Ours because BouncyCastle lacks it: its <c>BcpgInputStream</c> frames a packet and parses its body
/// in one step, so the first packet it cannot parse (an unknown algorithm, a version 5 key, one
/// damaged signature) ends the whole stream, and a parser that stops early leaves the rest of its body
/// to be read as the next packet. Framing first lets a keyring skip one unusable key or signature and
/// keep the others, keep the keys before a damaged tail, and refuse partial and indeterminate lengths
/// with a message that names the offset.
/// </remarks>
internal readonly record struct PgpPacket(PacketTag Tag, ReadOnlyMemory<byte> Body, ReadOnlyMemory<byte> Encoded)
{
    /// <summary>The version byte that starts key and signature bodies, or -1 for an empty body.</summary>
    public int Version => Body.IsEmpty ? -1 : Body.Span[0];

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
                packets.Add(new PgpPacket((PacketTag)tag, data.Slice(offset + headerLength, bodyLength), data.Slice(offset, headerLength + bodyLength)));
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

        var fields = data[1..];
        var where = $"{what} packet header at offset {offset}";
        int tag;
        int read;
        long length;
        if ((header & 0x40) != 0)
        {
            // New format: tag in the low six bits, then a one-, two- or five-byte length.
            tag = header & 0x3f;
            var first = Take(fields, 0, 1, where)[0];
            (length, read) = first switch
            {
                < 192 => ((long)first, 1),
                < 224 => (((first - 192) << 8) + Take(fields, 1, 1, where)[0] + 192L, 2),
                255 => ((long)BinaryPrimitives.ReadUInt32BigEndian(Take(fields, 1, 4, where)), 5),
                _ => throw new VerificationException($"The {what} uses a partial body length at offset {offset}, which keys and signatures never need."),
            };
        }
        else
        {
            // Old format: tag in bits 5-2, length type in bits 1-0.
            tag = (header >> 2) & 0x0f;
            (length, read) = (header & 0x03) switch
            {
                0 => ((long)Take(fields, 0, 1, where)[0], 1),
                1 => ((long)BinaryPrimitives.ReadUInt16BigEndian(Take(fields, 0, 2, where)), 2),
                2 => ((long)BinaryPrimitives.ReadUInt32BigEndian(Take(fields, 0, 4, where)), 4),
                _ => throw new VerificationException($"The {what} uses an indeterminate packet length at offset {offset}, which is not supported."),
            };
        }

        var headerLength = 1 + read;
        if (length > data.Length - headerLength)
        {
            throw new VerificationException($"The {what} is truncated: the packet at offset {offset} claims {length} bytes but only {data.Length - headerLength} follow.");
        }

        return (tag, headerLength, (int)length);
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> fields, int at, int count, string where)
    {
        if (at + count > fields.Length)
        {
            throw new VerificationException($"The {where} is truncated: it needs {count} more bytes at offset {at} but has {Math.Max(0, fields.Length - at)}.");
        }

        return fields.Slice(at, count);
    }
}
