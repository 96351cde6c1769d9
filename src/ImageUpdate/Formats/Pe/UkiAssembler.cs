using System.Buffers.Binary;
using System.Text;

namespace ImageUpdate.Formats.Pe;

/// <summary>
/// Makes a unified kernel image from systemd-stub the way ukify 262 lays it out (its
/// <c>pe_add_sections</c>, read for behaviour): the stub's sections stay where they are; .osrel,
/// .cmdline, .uname, .linux and .initrd follow in that order, each at the next SectionAlignment
/// boundary after the previous section's end in memory and at the next FileAlignment boundary of the
/// file, with a new section header in the room left after the section table (SizeOfHeaders rounded up
/// to FileAlignment, nothing moved); the stub's .sbat is rewritten in place with the stub's, the
/// kernel's and the UKI's SBAT lines merged; SizeOfInitializedData grows by each new section's size,
/// NX_COMPAT is cleared when the kernel lacks it, CheckSum is zeroed and SizeOfImage set to the end of
/// the last section. The same inputs give the same bytes, and for the same inputs these are the bytes
/// ukify 262 writes (before signing). A stub that is signed, has sections not aligned to its
/// FileAlignment, or has no room for another header is refused with a <see cref="PeFormatException"/>
/// (ukify re-aligns such stubs; systemd's own are aligned).
/// </summary>
public static class UkiAssembler
{
    /// <summary>The SBAT lines every UKI adds (ukify's STUB_SBAT: the generation line, then the "uki" component).</summary>
    public const string UkiSbat =
        "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
        + "uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/\n";

    private const string SbatSection = ".sbat";
    private const int MaximumNameLength = 8; // systemd-stub reads 8-byte names only
    private const uint PageSize = 4096; // x86-64's and (its smallest) arm64's

    /// <summary>Assembles the UKI of <paramref name="contents"/>.</summary>
    public static byte[] Build(UkiContents contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        var stub = contents.Stub.Span;
        var stubImage = PeImage.Read(stub, contents.StubSource);
        var linux = contents.Linux.Span;
        if (!PeImage.IsPe(linux))
        {
            throw new PeFormatException(contents.LinuxSource, "the kernel is not a PE image (an EFI-stub kernel, such as a Debian vmlinuz, is; a compressed one must be unpacked first)");
        }

        var kernel = PeImage.Read(linux, contents.LinuxSource);
        var sections = new List<UkiSection>();
        if (contents.OsRelease is { Length: > 0 } osRelease)
        {
            sections.Add(new UkiSection(".osrel", osRelease));
        }

        if (contents.CommandLine is { Length: > 0 } commandLine)
        {
            sections.Add(new UkiSection(".cmdline", Encoding.UTF8.GetBytes(commandLine)));
        }

        if (contents.Uname is { Length: > 0 } uname)
        {
            sections.Add(new UkiSection(".uname", Encoding.UTF8.GetBytes(uname)));
        }

        sections.Add(new UkiSection(".linux", contents.Linux));
        if (contents.Initrds.Count > 0)
        {
            sections.Add(new UkiSection(".initrd", JoinInitrds(contents.Initrds)));
        }

        sections.Add(new UkiSection(SbatSection, Encoding.UTF8.GetBytes(MergeSbat(
            [Sbat(stub, stubImage), Sbat(linux, kernel), UkiSbat]))));
        var clear = (kernel.DllCharacteristics & PeImage.NxCompatible) == 0 ? PeImage.NxCompatible : (ushort)0;
        return AddSections(stub, contents.StubSource, sections, clear);
    }

    /// <summary>
    /// <paramref name="image"/> with <paramref name="sections"/> added as described on the type: a section
    /// named like one the image already has replaces that one's contents in place (it must fit); any
    /// other is appended. <paramref name="clearDllCharacteristics"/> are cleared in the optional header.
    /// </summary>
    public static byte[] AddSections(ReadOnlySpan<byte> image, string source, IReadOnlyList<UkiSection> sections, ushort clearDllCharacteristics = 0)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var pe = PeImage.Read(image, source);
        if (pe.Security != (0, 0))
        {
            throw new PeFormatException(source, $"it is already signed (a certificate table of {pe.Security.Size} bytes at offset {pe.Security.Offset}); add sections to the unsigned stub, then sign the result");
        }

        var length = (long)image.Length;
        var symbols = SymbolTableAtEnd(image, pe);
        var stripSymbols = symbols is not null;
        var fileAlignment = pe.FileAlignment;
        var headers = RoundUp(pe.SizeOfHeaders, fileAlignment);
        if (pe.Sections.Length == 0)
        {
            throw new PeFormatException(source, "it has no sections, so it is no systemd-stub");
        }

        if (symbols is { } start)
        {
            // An old stub's COFF symbol table at the very end goes (ukify strips it too): an image file should have none.
            // Only a table after every section's data and the headers is one: cutting anything else off would cut data.
            var dataEnd = Math.Max(headers, pe.Sections.Where(s => s.SizeOfRawData > 0).Max(s => (long?)s.PointerToRawData + s.SizeOfRawData) ?? 0);
            if (start < dataEnd)
            {
                throw new PeFormatException(source, $"its COFF symbol table starts at offset {start}, before the end of its headers and section data ({dataEnd})");
            }

            length = start;
        }

        if (pe.SectionAlignment < PageSize && pe.SectionAlignment != fileAlignment)
        {
            // The PE format: a SectionAlignment below the page size needs the FileAlignment to match it.
            throw new PeFormatException(source, $"its SectionAlignment {pe.SectionAlignment} is below the page size ({PageSize}) but not its FileAlignment {fileAlignment}");
        }

        if (headers > length)
        {
            throw new PeFormatException(source, $"its SizeOfHeaders {pe.SizeOfHeaders} ends past the end of the file ({length} bytes)");
        }
        for (var i = 0; i < pe.Sections.Length; i++)
        {
            var s = pe.Sections[i];
            if (s.SizeOfRawData == 0)
            {
                continue;
            }

            if (s.PointerToRawData % fileAlignment != 0 || s.SizeOfRawData % fileAlignment != 0)
            {
                throw new PeFormatException(source, $"section {i + 1} ('{s.Name}') has {s.SizeOfRawData} bytes at offset {s.PointerToRawData}, not aligned to its FileAlignment {fileAlignment}");
            }

            if (s.PointerToRawData < headers)
            {
                throw new PeFormatException(source, $"section {i + 1} ('{s.Name}') starts at offset {s.PointerToRawData}, inside the headers (SizeOfHeaders {pe.SizeOfHeaders}, {headers} aligned)");
            }
        }

        // The new image's size: the stub, then each appended section at the next aligned offset.
        var table = pe.Sections.ToList();
        var layout = new List<(int Index, UkiSection Section)>();
        var end = length;
        var originals = pe.Sections.Length;
        foreach (var section in sections)
        {
            if (section.Name.Length is 0 or > MaximumNameLength || section.Name.Any(c => c is < '!' or > '~'))
            {
                throw new ArgumentException($"A section name is 1 to {MaximumNameLength} printable ASCII characters, not '{section.Name}'.", nameof(sections));
            }

            var existing = table.FindIndex(0, originals, s => s.Name == section.Name);
            if (existing >= 0)
            {
                var old = table[existing];
                if (section.Data.Length > old.SizeOfRawData)
                {
                    throw new PeFormatException(source, $"its section '{section.Name}' has room for {old.SizeOfRawData} bytes, fewer than the {section.Data.Length} to put in it");
                }

                table[existing] = old with { VirtualSize = (uint)section.Data.Length };
                layout.Add((existing, section));
                continue;
            }

            var headerOffset = pe.SectionTableOffset + ((long)table.Count * PeImage.SectionHeaderSize);
            if (headerOffset + PeImage.SectionHeaderSize > headers)
            {
                throw new PeFormatException(source, $"its headers (SizeOfHeaders {pe.SizeOfHeaders}, {headers} aligned) have no room for a section header for '{section.Name}' after its {table.Count} sections");
            }

            var last = table[^1];
            var virtualAddress = RoundUp((long)last.VirtualAddress + last.VirtualSize, pe.SectionAlignment);
            var pointer = RoundUp(end, fileAlignment);
            var rawSize = RoundUp(section.Data.Length, fileAlignment);
            if (RoundUp(virtualAddress + section.Data.Length, pe.SectionAlignment) > uint.MaxValue || pointer + rawSize > Array.MaxLength)
            {
                throw new PeFormatException(source, $"section '{section.Name}' ({section.Data.Length} bytes) would end past what a PE image can address");
            }

            var characteristics = PeSection.MemoryRead | (section.Name == ".linux" ? PeSection.ContainsCode : PeSection.ContainsInitializedData);
            table.Add(new PeSection(section.Name, (uint)section.Data.Length, (uint)virtualAddress, (uint)rawSize, (uint)pointer, characteristics));
            layout.Add((table.Count - 1, section));
            end = pointer + rawSize;
        }

        var lastSection = table[^1];
        var sizeOfImage = RoundUp((long)lastSection.VirtualAddress + lastSection.VirtualSize, pe.SectionAlignment);
        if (sizeOfImage > uint.MaxValue || headers > uint.MaxValue)
        {
            throw new PeFormatException(source, $"its section '{lastSection.Name}' would end past what a PE image can address");
        }

        var output = new byte[end];
        image[..(int)Math.Min(length, image.Length)].CopyTo(output);
        var initialized = BinaryPrimitives.ReadUInt32LittleEndian(output.AsSpan(pe.OptionalHeaderOffset + PeImage.Optional.SizeOfInitializedData));
        foreach (var (index, section) in layout)
        {
            var s = table[index];
            var area = output.AsSpan((int)s.PointerToRawData, (int)s.SizeOfRawData);
            area.Clear();
            section.Data.Span.CopyTo(area);
            WriteHeader(output.AsSpan(pe.SectionTableOffset + (index * PeImage.SectionHeaderSize), PeImage.SectionHeaderSize), s, isNew: index >= originals);
            if (index >= originals)
            {
                var sum = (ulong)initialized + s.VirtualSize;
                initialized = sum <= uint.MaxValue ? (uint)sum
                    : throw new PeFormatException(source, $"its SizeOfInitializedData would exceed {uint.MaxValue} bytes with section '{s.Name}'");
            }
        }

        var coff = output.AsSpan(pe.PeOffset);
        BinaryPrimitives.WriteUInt16LittleEndian(coff[PeImage.Coff.NumberOfSections..], (ushort)table.Count);
        if (stripSymbols)
        {
            // ukify 262 means to set IMAGE_FILE_LOCAL_SYMS_STRIPPED too, but pefile does not write a flag set that
            // way back, so its UKIs keep the stub's Characteristics; so do ours (the flag is deprecated, nothing reads it).
            BinaryPrimitives.WriteUInt32LittleEndian(coff[PeImage.Coff.PointerToSymbolTable..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(coff[PeImage.Coff.NumberOfSymbols..], 0);
        }

        var optional = output.AsSpan(pe.OptionalHeaderOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[PeImage.Optional.SizeOfInitializedData..], initialized);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[PeImage.Optional.SizeOfHeaders..], (uint)headers);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[PeImage.Optional.CheckSum..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(optional[PeImage.Optional.SizeOfImage..], (uint)sizeOfImage);
        BinaryPrimitives.WriteUInt16LittleEndian(optional[PeImage.Optional.DllCharacteristics..], (ushort)(pe.DllCharacteristics & ~clearDllCharacteristics));
        return output;
    }

    /// <summary>
    /// ukify's merge: the generation line once, then every other line of each input's SBAT in order (an
    /// input whose first line is not a generation line is left out), ending with a newline.
    /// </summary>
    public static string MergeSbat(IEnumerable<string?> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var merged = new StringBuilder(UkiSbat[..(UkiSbat.IndexOf('\n', StringComparison.Ordinal) + 1)]);
        foreach (var input in inputs)
        {
            var lines = input?.ReplaceLineEndings("\n").Split('\n') ?? [];
            if (lines.Length == 0 || !lines[0].StartsWith("sbat,", StringComparison.Ordinal))
            {
                continue;
            }

            // A trailing newline leaves one empty piece after it, which is not a line.
            var count = lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
            foreach (var line in lines.AsSpan(1, count - 1))
            {
                merged.Append(line).Append('\n');
            }
        }

        return merged.ToString();
    }

    /// <summary>The .sbat section's text without its NUL padding; null when there is none or it is not UTF-8.</summary>
    private static string? Sbat(ReadOnlySpan<byte> file, PeImage image)
    {
        var section = image.Sections.FirstOrDefault(s => s.Name == SbatSection);
        if (section is null || section.SizeOfRawData == 0)
        {
            return null;
        }

        var data = file.Slice((int)section.PointerToRawData, (int)section.SizeOfRawData).TrimEnd((byte)0);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>ukify's join: one initrd as it is; several each padded with zeros to a multiple of 4 bytes, back to back.</summary>
    private static ReadOnlyMemory<byte> JoinInitrds(IReadOnlyList<ReadOnlyMemory<byte>> initrds)
    {
        if (initrds.Count == 1)
        {
            return initrds[0];
        }

        var joined = new byte[initrds.Sum(i => RoundUp(i.Length, 4))];
        var offset = 0L;
        foreach (var initrd in initrds)
        {
            initrd.Span.CopyTo(joined.AsSpan((int)offset));
            offset += RoundUp(initrd.Length, 4);
        }

        return joined;
    }

    /// <summary>Where a COFF symbol table (and its string table) starts when it ends the file; null otherwise.</summary>
    private static long? SymbolTableAtEnd(ReadOnlySpan<byte> image, PeImage pe)
    {
        if (pe.PointerToSymbolTable == 0)
        {
            return null;
        }

        var size = (long)PeImage.SymbolSize * pe.NumberOfSymbols;
        var strings = pe.PointerToSymbolTable + size;
        if (strings + 4 <= image.Length)
        {
            size += BinaryPrimitives.ReadUInt32LittleEndian(image[(int)strings..]);
        }

        return pe.PointerToSymbolTable + size == image.Length ? pe.PointerToSymbolTable : null;
    }

    private static void WriteHeader(Span<byte> header, PeSection section, bool isNew)
    {
        if (isNew)
        {
            header.Clear();
            Encoding.ASCII.GetBytes(section.Name, header[..MaximumNameLength]);
            BinaryPrimitives.WriteUInt32LittleEndian(header[PeImage.Section.VirtualAddress..], section.VirtualAddress);
            BinaryPrimitives.WriteUInt32LittleEndian(header[PeImage.Section.SizeOfRawData..], section.SizeOfRawData);
            BinaryPrimitives.WriteUInt32LittleEndian(header[PeImage.Section.PointerToRawData..], section.PointerToRawData);
            BinaryPrimitives.WriteUInt32LittleEndian(header[PeImage.Section.Characteristics..], section.Characteristics);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(header[PeImage.Section.VirtualSize..], section.VirtualSize);
    }

    private static long RoundUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
