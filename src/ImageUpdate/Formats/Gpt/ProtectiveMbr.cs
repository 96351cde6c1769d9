using System.Buffers.Binary;

namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// The MBR in LBA 0 of a GPT disk (UEFI 2.10 §5.2.3). A GPT is only recognised (by the kernel, libfdisk
/// and firmware) when this block carries the 0xAA55 signature and a partition record of type 0xEE that
/// protects the disk, so reading requires one. Everything else in the block (boot code, disk signature,
/// further records of a hybrid MBR) is kept as read.
/// </summary>
public sealed record ProtectiveMbr
{
    /// <summary>Bytes of the structure; on disks with larger sectors the rest of LBA 0 is unused.</summary>
    public const int Size = Layout.End;

    public const byte GptProtectiveType = 0xEE;
    public const ushort BootSignature = 0xAA55;

    private readonly byte[] _bytes;

    private ProtectiveMbr(byte[] bytes) => _bytes = bytes;

    /// <summary>The 32-bit unique MBR disk signature (offset 440).</summary>
    public uint DiskSignature => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(Layout.DiskSignature));

    /// <summary>The first partition record of type 0xEE: its start and size in logical blocks.</summary>
    public (uint StartingLba, uint SizeInLba) ProtectiveRecord
    {
        get
        {
            var index = FindProtectiveRecord(_bytes);
            var record = _bytes.AsSpan(Layout.PartitionRecords + (index * RecordLayout.End), RecordLayout.End);
            return (BinaryPrimitives.ReadUInt32LittleEndian(record[RecordLayout.StartingLba..]),
                BinaryPrimitives.ReadUInt32LittleEndian(record[RecordLayout.SizeInLba..]));
        }
    }

    public static ProtectiveMbr Read(ReadOnlySpan<byte> block) => Read(block, "buffer");

    /// <summary>Parses LBA 0; <paramref name="source"/> names the device in errors.</summary>
    public static ProtectiveMbr Read(ReadOnlySpan<byte> block, string source)
    {
        if (block.Length < Size)
        {
            throw new PartitionTableException(source, $"the protective MBR is truncated to {block.Length} bytes, expected {Size}");
        }

        var signature = BinaryPrimitives.ReadUInt16LittleEndian(block[Layout.Signature..]);
        if (signature != BootSignature)
        {
            throw new PartitionTableException(source, $"the MBR signature is 0x{signature:X4}, expected 0x{BootSignature:X4}, so the disk has no GPT");
        }

        var bytes = block[..Size].ToArray();
        if (FindProtectiveRecord(bytes) < 0)
        {
            throw new PartitionTableException(source, $"the MBR has no partition record of type 0x{GptProtectiveType:X2}, so the disk has no GPT");
        }

        return new ProtectiveMbr(bytes);
    }

    /// <summary>A fresh protective MBR for a disk whose last LBA is <paramref name="lastLba"/> (UEFI 2.10 table 5.4).</summary>
    public static ProtectiveMbr Create(ulong lastLba, uint diskSignature = 0)
    {
        var bytes = new byte[Size];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(Layout.DiskSignature), diskSignature);
        var record = bytes.AsSpan(Layout.PartitionRecords, RecordLayout.End);

        // The record starts at CHS 0/0/2 (LBA 1); the ending CHS is "not representable" (0xFFFFFF),
        // which the specification allows and every tool accepts.
        record[RecordLayout.StartingChs + 1] = 0x02;
        record[RecordLayout.OsType] = GptProtectiveType;
        record.Slice(RecordLayout.EndingChs, RecordLayout.ChsLength).Fill(0xFF);
        BinaryPrimitives.WriteUInt32LittleEndian(record[RecordLayout.StartingLba..], 1);

        // SizeInLBA is the disk size minus one, or 0xFFFFFFFF when that does not fit in 32 bits.
        BinaryPrimitives.WriteUInt32LittleEndian(record[RecordLayout.SizeInLba..], (uint)Math.Min(lastLba, uint.MaxValue));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(Layout.Signature), BootSignature);
        return new ProtectiveMbr(bytes);
    }

    public void WriteTo(Span<byte> block)
    {
        if (block.Length < Size)
        {
            throw new ArgumentException($"The MBR needs {Size} bytes, got {block.Length}.", nameof(block));
        }

        _bytes.CopyTo(block);
    }

    public bool Equals(ProtectiveMbr? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override int GetHashCode() => (int)DiskSignature;

    private static int FindProtectiveRecord(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < Layout.PartitionRecordCount; i++)
        {
            if (bytes[Layout.PartitionRecords + (i * RecordLayout.End) + RecordLayout.OsType] == GptProtectiveType)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>UEFI 2.10 table 5.3, offsets derived from the field lengths.</summary>
    private static class Layout
    {
        public const int BootCodeLength = 440;
        public const int PartitionRecordCount = 4;
        public const int BootCode = 0;
        public const int DiskSignature = BootCode + BootCodeLength;
        public const int Unknown = DiskSignature + sizeof(uint);
        public const int PartitionRecords = Unknown + sizeof(ushort);
        public const int Signature = PartitionRecords + (PartitionRecordCount * RecordLayout.End);
        public const int End = Signature + sizeof(ushort);
    }

    /// <summary>UEFI 2.10 table 5.2 (one legacy MBR partition record).</summary>
    private static class RecordLayout
    {
        public const int ChsLength = 3;
        public const int BootIndicator = 0;
        public const int StartingChs = BootIndicator + sizeof(byte);
        public const int OsType = StartingChs + ChsLength;
        public const int EndingChs = OsType + sizeof(byte);
        public const int StartingLba = EndingChs + ChsLength;
        public const int SizeInLba = StartingLba + sizeof(uint);
        public const int End = SizeInLba + sizeof(uint);
    }
}
