using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Numerics;
using System.Text;

namespace ImageUpdate.Formats.Pe;

/// <summary>
/// The headers of a PE/COFF image as far as adding sections needs them (Microsoft's "PE Format":
/// the MS-DOS stub's e_lfanew, the "PE\0\0" signature, the COFF file header, the optional header of a
/// PE32 or PE32+ image, and the section table after it). <see cref="Read"/> checks every offset and
/// size against the file before it is used: a file that is not a PE image, or whose headers point
/// outside it, is a <see cref="PeFormatException"/>.
/// </summary>
public sealed record PeImage
{
    /// <summary>PE format: "the Windows loader limits the number of sections to 96".</summary>
    public const int MaximumSections = 96;

    public const int SectionHeaderSize = 40;

    /// <summary>IMAGE_DLLCHARACTERISTICS_NX_COMPAT.</summary>
    public const ushort NxCompatible = 0x0100;

    /// <summary>A COFF symbol table entry (IMAGE_SYMBOL).</summary>
    public const int SymbolSize = 18;

    private const ushort Pe32Magic = 0x10B;
    private const ushort Pe32PlusMagic = 0x20B;
    private const int SecurityDirectoryIndex = 4; // IMAGE_DIRECTORY_ENTRY_SECURITY

    /// <summary>The MS-DOS header: "MZ", and at 0x3C the offset of the PE signature.</summary>
    public static class Dos
    {
        public const int Lfanew = 0x3C;
        public const int End = Lfanew + 4;
    }

    /// <summary>Offsets from the PE signature: the signature, then the COFF file header.</summary>
    public static class Coff
    {
        public const int Signature = 0;
        public const int Machine = Signature + 4;
        public const int NumberOfSections = Machine + 2;
        public const int TimeDateStamp = NumberOfSections + 2;
        public const int PointerToSymbolTable = TimeDateStamp + 4;
        public const int NumberOfSymbols = PointerToSymbolTable + 4;
        public const int SizeOfOptionalHeader = NumberOfSymbols + 4;
        public const int Characteristics = SizeOfOptionalHeader + 2;
        public const int End = Characteristics + 2;
    }

    /// <summary>Offsets in the optional header; the same for PE32 and PE32+ up to <see cref="StackReserve"/>.</summary>
    public static class Optional
    {
        public const int Magic = 0;
        public const int SizeOfCode = 4;
        public const int SizeOfInitializedData = SizeOfCode + 4;
        public const int SectionAlignment = 32;
        public const int FileAlignment = SectionAlignment + 4;
        public const int SizeOfImage = 56;
        public const int SizeOfHeaders = SizeOfImage + 4;
        public const int CheckSum = SizeOfHeaders + 4;
        public const int Subsystem = CheckSum + 4;
        public const int DllCharacteristics = Subsystem + 2;
        public const int StackReserve = DllCharacteristics + 2;

        /// <summary>NumberOfRvaAndSizes: after four stack/heap sizes (4 bytes each in PE32, 8 in PE32+) and LoaderFlags.</summary>
        public static int NumberOfRvaAndSizes(bool pe32Plus) => StackReserve + (4 * (pe32Plus ? 8 : 4)) + 4;

        public static int DataDirectories(bool pe32Plus) => NumberOfRvaAndSizes(pe32Plus) + 4;
    }

    /// <summary>Offsets in a section header.</summary>
    public static class Section
    {
        public const int Name = 0;
        public const int VirtualSize = Name + 8;
        public const int VirtualAddress = VirtualSize + 4;
        public const int SizeOfRawData = VirtualAddress + 4;
        public const int PointerToRawData = SizeOfRawData + 4;
        public const int Characteristics = PointerToRawData + 4 + 4 + 4 + 2 + 2;
    }

    /// <summary>Where the PE signature is (e_lfanew).</summary>
    public required int PeOffset { get; init; }

    public bool IsPe32Plus { get; init; }

    public required uint SectionAlignment { get; init; }

    public required uint FileAlignment { get; init; }

    public required uint SizeOfHeaders { get; init; }

    public required uint SizeOfImage { get; init; }

    public ushort DllCharacteristics { get; init; }

    public uint PointerToSymbolTable { get; init; }

    public uint NumberOfSymbols { get; init; }

    /// <summary>The certificate table (IMAGE_DIRECTORY_ENTRY_SECURITY): its file offset and size; (0, 0) when the image is not signed.</summary>
    public (uint Offset, uint Size) Security { get; init; }

    public required ImmutableArray<PeSection> Sections { get; init; }

    /// <summary>The optional header's offset in the file.</summary>
    public int OptionalHeaderOffset => PeOffset + Coff.End;

    /// <summary>The section table's offset in the file.</summary>
    public required int SectionTableOffset { get; init; }

    /// <summary>Whether <paramref name="file"/> starts like a PE image ("MZ", and "PE\0\0" where e_lfanew points).</summary>
    public static bool IsPe(ReadOnlySpan<byte> file)
    {
        if (file.Length < Dos.End || file[0] != 'M' || file[1] != 'Z')
        {
            return false;
        }

        var pe = BinaryPrimitives.ReadUInt32LittleEndian(file[Dos.Lfanew..]);
        return pe <= (uint)(file.Length - Coff.End) && file.Slice((int)pe, 4).SequenceEqual("PE\0\0"u8);
    }

    /// <summary>Reads and checks the headers of <paramref name="file"/>; <paramref name="source"/> names it in errors.</summary>
    public static PeImage Read(ReadOnlySpan<byte> file, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!IsPe(file))
        {
            throw new PeFormatException(source, file.Length < Dos.End || file[0] != 'M' || file[1] != 'Z'
                ? "no MS-DOS header (\"MZ\"), so it is not a PE image"
                : $"no \"PE\\0\\0\" signature at the offset its MS-DOS header gives ({BinaryPrimitives.ReadUInt32LittleEndian(file[Dos.Lfanew..])}), so it is not a PE image");
        }

        var pe = (int)BinaryPrimitives.ReadUInt32LittleEndian(file[Dos.Lfanew..]);
        var coff = file[pe..];
        var count = BinaryPrimitives.ReadUInt16LittleEndian(coff[Coff.NumberOfSections..]);
        var optionalSize = BinaryPrimitives.ReadUInt16LittleEndian(coff[Coff.SizeOfOptionalHeader..]);
        if (count > MaximumSections)
        {
            throw new PeFormatException(source, $"it declares {count} sections, more than {MaximumSections}");
        }

        var optionalOffset = pe + Coff.End;
        if (optionalSize < Optional.StackReserve || optionalOffset + optionalSize > file.Length)
        {
            throw new PeFormatException(source, $"its optional header ({optionalSize} bytes at offset {optionalOffset}) is too short or ends past the end of the file ({file.Length} bytes)");
        }

        var optional = file.Slice(optionalOffset, optionalSize);
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(optional);
        if (magic is not (Pe32Magic or Pe32PlusMagic))
        {
            throw new PeFormatException(source, $"its optional header's magic is 0x{magic:x}, neither PE32 (0x10b) nor PE32+ (0x20b)");
        }

        var pe32Plus = magic == Pe32PlusMagic;
        var sectionAlignment = BinaryPrimitives.ReadUInt32LittleEndian(optional[Optional.SectionAlignment..]);
        var fileAlignment = BinaryPrimitives.ReadUInt32LittleEndian(optional[Optional.FileAlignment..]);
        if (!BitOperations.IsPow2(fileAlignment) || fileAlignment is < 512 or > 65536)
        {
            throw new PeFormatException(source, $"its FileAlignment {fileAlignment} is not a power of 2 from 512 to 64 KiB");
        }

        if (!BitOperations.IsPow2(sectionAlignment) || sectionAlignment < fileAlignment)
        {
            throw new PeFormatException(source, $"its SectionAlignment {sectionAlignment} is not a power of 2 at least its FileAlignment {fileAlignment}");
        }

        var security = (0u, 0u);
        if (optionalSize >= Optional.DataDirectories(pe32Plus))
        {
            var directories = BinaryPrimitives.ReadUInt32LittleEndian(optional[Optional.NumberOfRvaAndSizes(pe32Plus)..]);
            var entry = Optional.DataDirectories(pe32Plus) + (SecurityDirectoryIndex * 8);
            if (directories > SecurityDirectoryIndex && entry + 8 <= optionalSize)
            {
                security = (BinaryPrimitives.ReadUInt32LittleEndian(optional[entry..]), BinaryPrimitives.ReadUInt32LittleEndian(optional[(entry + 4)..]));
            }
        }

        var tableOffset = optionalOffset + optionalSize;
        var tableEnd = (long)tableOffset + (count * SectionHeaderSize);
        if (tableEnd > file.Length)
        {
            throw new PeFormatException(source, $"its section table ({count} entries at offset {tableOffset}) ends past the end of the file ({file.Length} bytes)");
        }

        var sizeOfHeaders = BinaryPrimitives.ReadUInt32LittleEndian(optional[Optional.SizeOfHeaders..]);
        if (sizeOfHeaders < tableEnd)
        {
            throw new PeFormatException(source, $"its SizeOfHeaders {sizeOfHeaders} ends before its section table does ({tableEnd})");
        }

        var sections = ImmutableArray.CreateBuilder<PeSection>(count);
        for (var i = 0; i < count; i++)
        {
            var header = file.Slice(tableOffset + (i * SectionHeaderSize), SectionHeaderSize);
            var name = header[..8];
            var nul = name.IndexOf((byte)0);
            var section = new PeSection(
                NameText(nul < 0 ? name : name[..nul]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[Section.VirtualSize..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[Section.VirtualAddress..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[Section.SizeOfRawData..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[Section.PointerToRawData..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[Section.Characteristics..]));
            if (section.SizeOfRawData > 0 && (long)section.PointerToRawData + section.SizeOfRawData > file.Length)
            {
                throw new PeFormatException(source, $"section {i + 1} ('{section.Name}') has {section.SizeOfRawData} bytes at offset {section.PointerToRawData}, past the end of the file ({file.Length} bytes)");
            }

            sections.Add(section);
        }

        return new PeImage
        {
            PeOffset = pe,
            IsPe32Plus = pe32Plus,
            SectionAlignment = sectionAlignment,
            FileAlignment = fileAlignment,
            SizeOfHeaders = sizeOfHeaders,
            SizeOfImage = BinaryPrimitives.ReadUInt32LittleEndian(optional[Optional.SizeOfImage..]),
            DllCharacteristics = BinaryPrimitives.ReadUInt16LittleEndian(optional[Optional.DllCharacteristics..]),
            PointerToSymbolTable = BinaryPrimitives.ReadUInt32LittleEndian(coff[Coff.PointerToSymbolTable..]),
            NumberOfSymbols = BinaryPrimitives.ReadUInt32LittleEndian(coff[Coff.NumberOfSymbols..]),
            Security = security,
            Sections = sections.MoveToImmutable(),
            SectionTableOffset = tableOffset,
        };
    }

    /// <summary>The bytes of <paramref name="section"/> in <paramref name="file"/> (<see cref="PeSection.DataSize"/> of them).</summary>
    public static ReadOnlySpan<byte> DataOf(ReadOnlySpan<byte> file, PeSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return section.DataSize == 0 ? [] : file.Slice((int)section.PointerToRawData, (int)section.DataSize);
    }

    /// <summary>A section name as text: printable ASCII as it is, anything else as \xNN (names come from untrusted files).</summary>
    private static string NameText(ReadOnlySpan<byte> name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var b in name)
        {
            _ = b is >= 0x20 and < 0x7F and not (byte)'\\' ? text.Append((char)b) : text.Append($"\\x{b:x2}");
        }

        return text.ToString();
    }
}
