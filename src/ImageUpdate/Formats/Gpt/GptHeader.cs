using System.Buffers.Binary;

namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// A GPT header (UEFI 2.10 §5.3.2, table 5.5), primary or backup. <see cref="Read(ReadOnlySpan{byte}, string, string)"/>
/// checks what the header alone can prove (signature, revision, size, CRC); where its LBAs may point on a
/// particular device is <see cref="GptDisk"/>'s concern. The CRC is not a property: it is checked when
/// reading and computed when writing, so a stale value can never be written. Bytes between offset 92 and
/// HeaderSize (a later revision's fields) are kept in <see cref="Extra"/> and written back.
/// </summary>
public sealed record GptHeader
{
    /// <summary>"EFI PART" read as a little-endian 64-bit number.</summary>
    public const ulong SignatureValue = 0x5452415020494645;

    /// <summary>Revision 1.0 (00 00 01 00 on disk); every UEFI version to date writes it.</summary>
    public const uint Revision1 = 0x00010000;

    /// <summary>The size of the fields this revision defines; HeaderSize may be larger, never smaller.</summary>
    public const int MinimumSize = Layout.End;

    public uint Revision { get; init; } = Revision1;

    /// <summary>The reserved field at offset 20; must be zero, kept as read because the CRC covers it.</summary>
    public uint Reserved { get; init; }

    public ulong MyLba { get; init; }

    public ulong AlternateLba { get; init; }

    public ulong FirstUsableLba { get; init; }

    public ulong LastUsableLba { get; init; }

    public Guid DiskGuid { get; init; }

    public ulong PartitionEntryLba { get; init; }

    public uint NumberOfPartitionEntries { get; init; }

    public uint SizeOfPartitionEntry { get; init; }

    public uint PartitionEntryArrayCrc32 { get; init; }

    /// <summary>Header bytes beyond offset 92, up to HeaderSize.</summary>
    public ReadOnlyMemory<byte> Extra { get; init; } = ReadOnlyMemory<byte>.Empty;

    public uint HeaderSize => (uint)(MinimumSize + Extra.Length);

    public static GptHeader Read(ReadOnlySpan<byte> block) => Read(block, "buffer");

    /// <summary>
    /// Parses a header from its whole logical block (the block length bounds HeaderSize, UEFI 2.10
    /// table 5.5); <paramref name="what"/> names the copy and device in errors, e.g. "the primary header".
    /// </summary>
    public static GptHeader Read(ReadOnlySpan<byte> block, string source, string what = "the GPT header")
    {
        if (block.Length < MinimumSize)
        {
            throw new PartitionTableException(source, $"{what} is truncated to {block.Length} bytes, expected at least {MinimumSize}");
        }

        var signature = BinaryPrimitives.ReadUInt64LittleEndian(block[Layout.Signature..]);
        if (signature != SignatureValue)
        {
            throw new PartitionTableException(source, $"{what} signature is 0x{signature:X16}, expected 'EFI PART'");
        }

        // Only the major revision changes the layout; a minor revision may add fields after 92 bytes,
        // which HeaderSize then covers and Extra preserves.
        var revision = BinaryPrimitives.ReadUInt32LittleEndian(block[Layout.Revision..]);
        if (revision >> 16 != Revision1 >> 16)
        {
            throw new PartitionTableException(source, $"{what} revision is 0x{revision:X8}, expected major revision 1 (0x{Revision1:X8})");
        }

        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(block[Layout.HeaderSize..]);
        if (headerSize < MinimumSize || headerSize > block.Length)
        {
            throw new PartitionTableException(source, $"{what} HeaderSize is {headerSize}, expected {MinimumSize} to {block.Length}");
        }

        var stored = BinaryPrimitives.ReadUInt32LittleEndian(block[Layout.HeaderCrc32..]);
        var computed = ComputeCrc(block[..(int)headerSize]);
        if (stored != computed)
        {
            throw new PartitionTableException(source, $"{what} HeaderCRC32 is 0x{stored:X8} but its {headerSize} bytes sum to 0x{computed:X8}");
        }

        return new GptHeader
        {
            Revision = revision,
            Reserved = BinaryPrimitives.ReadUInt32LittleEndian(block[Layout.Reserved..]),
            MyLba = BinaryPrimitives.ReadUInt64LittleEndian(block[Layout.MyLba..]),
            AlternateLba = BinaryPrimitives.ReadUInt64LittleEndian(block[Layout.AlternateLba..]),
            FirstUsableLba = BinaryPrimitives.ReadUInt64LittleEndian(block[Layout.FirstUsableLba..]),
            LastUsableLba = BinaryPrimitives.ReadUInt64LittleEndian(block[Layout.LastUsableLba..]),
            DiskGuid = new Guid(block.Slice(Layout.DiskGuid, Layout.GuidLength)),
            PartitionEntryLba = BinaryPrimitives.ReadUInt64LittleEndian(block[Layout.PartitionEntryLba..]),
            NumberOfPartitionEntries = BinaryPrimitives.ReadUInt32LittleEndian(block[Layout.NumberOfPartitionEntries..]),
            SizeOfPartitionEntry = BinaryPrimitives.ReadUInt32LittleEndian(block[Layout.SizeOfPartitionEntry..]),
            PartitionEntryArrayCrc32 = BinaryPrimitives.ReadUInt32LittleEndian(block[Layout.PartitionEntryArrayCrc32..]),
            Extra = block[MinimumSize..(int)headerSize].ToArray(),
        };
    }

    /// <summary>
    /// Writes the header into a whole logical block: fields, Extra, HeaderCRC32 computed over HeaderSize
    /// bytes with the CRC field zero, and zeros for the rest of the block (reserved by UEFI 2.10 table 5.5).
    /// </summary>
    public void WriteTo(Span<byte> block)
    {
        if (block.Length < HeaderSize)
        {
            throw new ArgumentException($"The header needs {HeaderSize} bytes, got {block.Length}.", nameof(block));
        }

        block.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(block[Layout.Signature..], SignatureValue);
        BinaryPrimitives.WriteUInt32LittleEndian(block[Layout.Revision..], Revision);
        BinaryPrimitives.WriteUInt32LittleEndian(block[Layout.HeaderSize..], HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(block[Layout.Reserved..], Reserved);
        BinaryPrimitives.WriteUInt64LittleEndian(block[Layout.MyLba..], MyLba);
        BinaryPrimitives.WriteUInt64LittleEndian(block[Layout.AlternateLba..], AlternateLba);
        BinaryPrimitives.WriteUInt64LittleEndian(block[Layout.FirstUsableLba..], FirstUsableLba);
        BinaryPrimitives.WriteUInt64LittleEndian(block[Layout.LastUsableLba..], LastUsableLba);

        // On-disk GUIDs are "mixed-endian" (UEFI 2.10 appendix A: the first three fields little-endian,
        // the last eight bytes in order), which is exactly System.Guid's own byte layout.
        DiskGuid.TryWriteBytes(block.Slice(Layout.DiskGuid, Layout.GuidLength));
        BinaryPrimitives.WriteUInt64LittleEndian(block[Layout.PartitionEntryLba..], PartitionEntryLba);
        BinaryPrimitives.WriteUInt32LittleEndian(block[Layout.NumberOfPartitionEntries..], NumberOfPartitionEntries);
        BinaryPrimitives.WriteUInt32LittleEndian(block[Layout.SizeOfPartitionEntry..], SizeOfPartitionEntry);
        BinaryPrimitives.WriteUInt32LittleEndian(block[Layout.PartitionEntryArrayCrc32..], PartitionEntryArrayCrc32);
        Extra.Span.CopyTo(block[MinimumSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(block[Layout.HeaderCrc32..], ComputeCrc(block[..(int)HeaderSize]));
    }

    public bool Equals(GptHeader? other) =>
        other is not null
        && Revision == other.Revision
        && Reserved == other.Reserved
        && MyLba == other.MyLba
        && AlternateLba == other.AlternateLba
        && FirstUsableLba == other.FirstUsableLba
        && LastUsableLba == other.LastUsableLba
        && DiskGuid == other.DiskGuid
        && PartitionEntryLba == other.PartitionEntryLba
        && NumberOfPartitionEntries == other.NumberOfPartitionEntries
        && SizeOfPartitionEntry == other.SizeOfPartitionEntry
        && PartitionEntryArrayCrc32 == other.PartitionEntryArrayCrc32
        && Extra.Span.SequenceEqual(other.Extra.Span);

    public override int GetHashCode() => HashCode.Combine(MyLba, DiskGuid, PartitionEntryArrayCrc32);

    /// <summary>UEFI 2.10 §5.3.2: the CRC over HeaderSize bytes with the HeaderCRC32 field taken as zero.</summary>
    private static uint ComputeCrc(ReadOnlySpan<byte> header)
    {
        Span<byte> zero = stackalloc byte[sizeof(uint)];
        zero.Clear();
        var register = Crc32.Append(uint.MaxValue, header[..Layout.HeaderCrc32]);
        register = Crc32.Append(register, zero);
        register = Crc32.Append(register, header[(Layout.HeaderCrc32 + sizeof(uint))..]);
        return ~register;
    }

    /// <summary>UEFI 2.10 table 5.5, offsets derived from the field sizes.</summary>
    private static class Layout
    {
        public const int GuidLength = 16;
        public const int Signature = 0;
        public const int Revision = Signature + sizeof(ulong);
        public const int HeaderSize = Revision + sizeof(uint);
        public const int HeaderCrc32 = HeaderSize + sizeof(uint);
        public const int Reserved = HeaderCrc32 + sizeof(uint);
        public const int MyLba = Reserved + sizeof(uint);
        public const int AlternateLba = MyLba + sizeof(ulong);
        public const int FirstUsableLba = AlternateLba + sizeof(ulong);
        public const int LastUsableLba = FirstUsableLba + sizeof(ulong);
        public const int DiskGuid = LastUsableLba + sizeof(ulong);
        public const int PartitionEntryLba = DiskGuid + GuidLength;
        public const int NumberOfPartitionEntries = PartitionEntryLba + sizeof(ulong);
        public const int SizeOfPartitionEntry = NumberOfPartitionEntries + sizeof(uint);
        public const int PartitionEntryArrayCrc32 = SizeOfPartitionEntry + sizeof(uint);
        public const int End = PartitionEntryArrayCrc32 + sizeof(uint);
    }
}
