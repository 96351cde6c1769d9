using System.Buffers.Binary;
using System.Text;
using ImageUpdate.Formats.Verity;

namespace ImageUpdate.Update.Verity;

/// <summary>
/// The kernel command lines a unified kernel image carries: the contents of its <c>.cmdline</c> PE
/// sections (systemd's UKI specification; a multi-profile UKI has one per profile), and the root
/// hashes they name. Only the PE/COFF headers and section table are read (PE format: the DOS header's
/// e_lfanew, the "PE\0\0" signature, the COFF file header, the section headers after the optional
/// header). A file that is no PE image has no command line; a PE image with a malformed section
/// table is a <see cref="VerityException"/>.
/// </summary>
public static class UkiCommandLine
{
    /// <summary>A .cmdline section larger than this is refused (the kernel takes a few KiB at most).</summary>
    public const int MaximumCommandLine = 1024 * 1024;

    private const int MaximumSections = 96; // PE format: "the Windows loader limits the number of sections to 96"
    private const int DosLfanewOffset = 0x3C;
    private const int CoffHeaderSize = 20;
    private const int SectionHeaderSize = 40;

    private static class Coff
    {
        public const int Signature = 0;
        public const int NumberOfSections = Signature + 4 + 2;
        public const int SizeOfOptionalHeader = Signature + 4 + 16;
        public const int End = Signature + 4 + CoffHeaderSize;
    }

    private static class Section
    {
        public const int Name = 0;
        public const int VirtualSize = Name + 8;
        public const int SizeOfRawData = VirtualSize + 8;
        public const int PointerToRawData = SizeOfRawData + 4;
    }

    /// <summary>The text of every .cmdline section, in section order; empty when the file is no PE image or has none.</summary>
    public static async Task<IReadOnlyList<string>> ReadAsync(Stream image, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!image.CanSeek)
        {
            throw new ArgumentException("A UKI is read with random access.", nameof(image));
        }

        var dos = new byte[DosLfanewOffset + 4];
        if (await ReadAtAsync(image, 0, dos, cancellationToken).ConfigureAwait(false) < dos.Length || dos[0] != 'M' || dos[1] != 'Z')
        {
            return [];
        }

        var peOffset = BinaryPrimitives.ReadUInt32LittleEndian(dos.AsSpan(DosLfanewOffset));
        var coff = new byte[Coff.End];
        if (peOffset > image.Length - Coff.End || await ReadAtAsync(image, peOffset, coff, cancellationToken).ConfigureAwait(false) < coff.Length
            || !coff.AsSpan(0, 4).SequenceEqual("PE\0\0"u8))
        {
            return [];
        }

        var count = BinaryPrimitives.ReadUInt16LittleEndian(coff.AsSpan(Coff.NumberOfSections));
        var optional = BinaryPrimitives.ReadUInt16LittleEndian(coff.AsSpan(Coff.SizeOfOptionalHeader));
        if (count > MaximumSections)
        {
            throw new VerityException(source, $"the PE image declares {count} sections, more than {MaximumSections}");
        }

        var table = new byte[count * SectionHeaderSize];
        var tableOffset = peOffset + Coff.End + optional;
        if (await ReadAtAsync(image, tableOffset, table, cancellationToken).ConfigureAwait(false) < table.Length)
        {
            throw new VerityException(source, $"the PE section table at offset {tableOffset} ends past the end of the file");
        }

        var lines = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var header = table.AsSpan(i * SectionHeaderSize, SectionHeaderSize);
            if (!header[..8].SequenceEqual(".cmdline"u8))
            {
                continue;
            }

            var size = Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(header[Section.VirtualSize..]), BinaryPrimitives.ReadUInt32LittleEndian(header[Section.SizeOfRawData..]));
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(header[Section.PointerToRawData..]);
            if (size > MaximumCommandLine)
            {
                throw new VerityException(source, $".cmdline section {i + 1} holds {size} bytes, more than {MaximumCommandLine}");
            }

            var text = new byte[size];
            if (await ReadAtAsync(image, offset, text, cancellationToken).ConfigureAwait(false) < text.Length)
            {
                throw new VerityException(source, $".cmdline section {i + 1} at offset {offset} ends past the end of the file");
            }

            // systemd-stub stops at the first NUL.
            var end = text.AsSpan().IndexOf((byte)0);
            lines.Add(Encoding.UTF8.GetString(end < 0 ? text : text.AsSpan(0, end)));
        }

        return lines;
    }

    /// <summary>
    /// Every value of <paramref name="key"/> (or <c>rd.</c><paramref name="key"/>, which the initrd
    /// reads alike) on the command line, split as the kernel splits it (whitespace, double quotes).
    /// </summary>
    public static IReadOnlyList<string> Values(string commandLine, string key)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var values = new List<string>();
        foreach (var word in Words(commandLine))
        {
            var name = word.StartsWith("rd.", StringComparison.Ordinal) ? word[3..] : word;
            if (name.StartsWith(key + "=", StringComparison.Ordinal))
            {
                values.Add(name[(key.Length + 1)..]);
            }
        }

        return values;
    }

    private static IEnumerable<string> Words(string commandLine)
    {
        var word = new StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in commandLine)
        {
            if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (!quoted && char.IsWhiteSpace(c))
            {
                if (any)
                {
                    yield return word.ToString();
                    word.Clear();
                    any = false;
                }
            }
            else
            {
                word.Append(c);
                any = true;
            }
        }

        if (any)
        {
            yield return word.ToString();
        }
    }

    private static async Task<int> ReadAtAsync(Stream image, long offset, byte[] buffer, CancellationToken cancellationToken)
    {
        if (offset < 0 || offset > image.Length)
        {
            return 0;
        }

        image.Position = offset;
        return await image.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
    }
}
