using System.Buffers.Binary;
using System.Text;
using ImageUpdate.Formats.Pe;

namespace ImageUpdate.Tests.Formats.Pe;

/// <summary>
/// Small PE32+ images laid out as the PE format has them, for the assembler's tests: an MS-DOS header
/// whose e_lfanew is 0x80, "PE\0\0", the COFF header, a 240-byte optional header (16 data directories),
/// the section table at 0x188, SizeOfHeaders (default 0x400: room for 15 headers) and each section's
/// data at the next FileAlignment offset and SectionAlignment address.
/// </summary>
internal static class TestPe
{
    public const int PeOffset = 0x80;
    public const int OptionalOffset = PeOffset + PeImage.Coff.End;
    public const int OptionalSize = 240;
    public const int TableOffset = OptionalOffset + OptionalSize;

    public static byte[] Create(
        IReadOnlyList<(string Name, byte[] Data)> sections,
        uint sizeOfHeaders = 0x400,
        ushort dllCharacteristics = 0x160,
        uint fileAlignment = 0x200,
        uint sectionAlignment = 0x1000,
        byte[]? symbolTable = null,
        uint symbols = 0)
    {
        var headers = new byte[sizeOfHeaders];
        headers[0] = (byte)'M';
        headers[1] = (byte)'Z';
        BinaryPrimitives.WriteUInt32LittleEndian(headers.AsSpan(PeImage.Dos.Lfanew), PeOffset);
        "PE\0\0"u8.CopyTo(headers.AsSpan(PeOffset));
        var coff = headers.AsSpan(PeOffset);
        BinaryPrimitives.WriteUInt16LittleEndian(coff[PeImage.Coff.Machine..], 0x8664);
        BinaryPrimitives.WriteUInt16LittleEndian(coff[PeImage.Coff.NumberOfSections..], (ushort)sections.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(coff[PeImage.Coff.SizeOfOptionalHeader..], OptionalSize);
        BinaryPrimitives.WriteUInt16LittleEndian(coff[PeImage.Coff.Characteristics..], 0x0206);
        var optional = headers.AsSpan(OptionalOffset, OptionalSize);
        BinaryPrimitives.WriteUInt16LittleEndian(optional, 0x20B);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[PeImage.Optional.SectionAlignment..], sectionAlignment);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[PeImage.Optional.FileAlignment..], fileAlignment);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[PeImage.Optional.SizeOfHeaders..], sizeOfHeaders);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[PeImage.Optional.SizeOfInitializedData..], 0x1000);
        BinaryPrimitives.WriteUInt16LittleEndian(optional[PeImage.Optional.Subsystem..], 10);
        BinaryPrimitives.WriteUInt16LittleEndian(optional[PeImage.Optional.DllCharacteristics..], dllCharacteristics);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[PeImage.Optional.NumberOfRvaAndSizes(pe32Plus: true)..], 16);

        var file = new List<byte>(headers);
        var address = (long)sectionAlignment;
        for (var i = 0; i < sections.Count; i++)
        {
            var (name, data) = sections[i];
            var raw = RoundUp(data.Length, fileAlignment);
            var entry = headers.AsSpan(TableOffset + (i * PeImage.SectionHeaderSize), PeImage.SectionHeaderSize);
            Encoding.ASCII.GetBytes(name).CopyTo(entry);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[PeImage.Section.VirtualSize..], (uint)data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[PeImage.Section.VirtualAddress..], (uint)address);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[PeImage.Section.SizeOfRawData..], (uint)raw);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[PeImage.Section.PointerToRawData..], (uint)file.Count);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[PeImage.Section.Characteristics..], PeSection.ContainsInitializedData | PeSection.MemoryRead);
            var padded = new byte[raw];
            data.CopyTo(padded, 0);
            file.AddRange(padded);
            address = RoundUp(address + Math.Max(data.Length, 1), sectionAlignment);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(optional[PeImage.Optional.SizeOfImage..], (uint)address);
        if (symbolTable is not null)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(coff[PeImage.Coff.PointerToSymbolTable..], (uint)file.Count);
            BinaryPrimitives.WriteUInt32LittleEndian(coff[PeImage.Coff.NumberOfSymbols..], symbols);
            file.AddRange(symbolTable);
        }

        var bytes = file.ToArray();
        headers.CopyTo(bytes, 0);
        return bytes;
    }

    /// <summary>A stand-in systemd-stub: .text, .sbat with a generation line and a "systemd-stub" component, .reloc.</summary>
    public static byte[] Stub(ushort dllCharacteristics = 0x160, uint sizeOfHeaders = 0x400) => Create(
        [(".text", Filler(3000, 1)), (".sbat", Encoding.ASCII.GetBytes(Sbat("systemd-stub,1,The systemd Developers,systemd,262,https://systemd.io/"))), (".reloc", Filler(12, 2))],
        sizeOfHeaders, dllCharacteristics);

    /// <summary>A stand-in EFI-stub kernel: .text and a .sbat of its own.</summary>
    public static byte[] Kernel(ushort dllCharacteristics = 0x160) => Create(
        [(".text", Filler(20000, 3)), (".sbat", Encoding.ASCII.GetBytes(Sbat("linux,1,Red Hat,linux,6.1.0,mailto:secalert@redhat.com")))],
        dllCharacteristics: dllCharacteristics);

    public static string Sbat(string line) => "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n" + line + "\n";

    public static byte[] Filler(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes <paramref name="value"/> at <paramref name="offset"/> of a copy of <paramref name="image"/>.</summary>
    public static byte[] With(byte[] image, int offset, uint value, int width = 4)
    {
        var copy = (byte[])image.Clone();
        if (width == 2)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(offset), (ushort)value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset), value);
        }

        return copy;
    }

    private static long RoundUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
