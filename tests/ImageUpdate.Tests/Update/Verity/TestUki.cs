using System.Buffers.Binary;
using System.Text;

namespace ImageUpdate.Tests.Update.Verity;

/// <summary>
/// The smallest PE image with a <c>.cmdline</c> section (and a <c>.linux</c> one of filler bytes), laid
/// out as the PE/COFF specification has it: DOS header with e_lfanew, "PE\0\0", a COFF header without
/// optional header, the section table, each section's raw data at a 512-byte file offset. What
/// <c>UkiCommandLine</c> reads of a real UKI; the integration test uses ukify's.
/// </summary>
internal static class TestUki
{
    public static byte[] Create(params string[] commandLines)
    {
        var sections = commandLines.Select(c => (Name: ".cmdline", Data: Encoding.UTF8.GetBytes(c + "\0"))).Prepend((Name: ".linux", Data: new byte[700])).ToList();
        const int peOffset = 0x40;
        var tableOffset = peOffset + 24;
        var dataOffset = 0x200;
        var image = new List<byte>(new byte[dataOffset]);
        var header = new byte[dataOffset];
        header[0] = (byte)'M';
        header[1] = (byte)'Z';
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(0x3C), peOffset);
        "PE\0\0"u8.CopyTo(header.AsSpan(peOffset));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(peOffset + 4), 0x8664);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(peOffset + 6), (ushort)sections.Count);
        var offset = dataOffset;
        for (var i = 0; i < sections.Count; i++)
        {
            var entry = header.AsSpan(tableOffset + (i * 40), 40);
            Encoding.ASCII.GetBytes(sections[i].Name).CopyTo(entry);
            var raw = (sections[i].Data.Length + 511) / 512 * 512;
            BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], (uint)sections[i].Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[12..], (uint)(0x1000 * (i + 1)));
            BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], (uint)raw);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[20..], (uint)offset);
            var padded = new byte[raw];
            sections[i].Data.CopyTo(padded, 0);
            image.AddRange(padded);
            offset += raw;
        }

        var bytes = image.ToArray();
        header.CopyTo(bytes, 0);
        return bytes;
    }
}
