using System.Buffers.Binary;
using ImageUpdate.Formats.Gpt;

namespace ImageUpdate.Tests.Formats.Gpt;

public sealed class GptStructureTests
{
    private static readonly Guid RootX86_64 = new("4f68bce3-e8cd-4db1-96e7-fbcaf984b709");

    [Fact]
    public void Guids_are_mixed_endian_on_disk_as_System_Guid_lays_them_out()
    {
        var entry = new byte[PartitionEntry.MinimumSize];
        new PartitionEntry { Type = RootX86_64 }.WriteTo(entry);
        Assert.Equal(Convert.FromHexString("E3BC684FCDE8B14D96E7FBCAF984B709"), entry[..16]);
    }

    [Fact]
    public void A_header_round_trips_with_its_extra_bytes_and_a_fresh_crc()
    {
        var header = SampleHeader() with { Extra = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 } };
        var block = new byte[512];
        header.WriteTo(block);
        Assert.Equal(100u, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(12)));
        var read = GptHeader.Read(block);
        Assert.Equal(header, read);
        Assert.All(block[100..], b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(0, 0x00, "signature is 0x5452415020494600")]
    [InlineData(10, 0x02, "revision is 0x00020000")]
    [InlineData(12, 91, "HeaderSize is 91, expected 92 to 512")]
    [InlineData(13, 0x02, "HeaderSize is 604, expected 92 to 512")]
    [InlineData(40, 0x01, "HeaderCRC32 is 0x")]
    public void A_malformed_header_is_a_PartitionTableException(int offset, byte value, string fragment)
    {
        var block = new byte[512];
        SampleHeader().WriteTo(block);
        block[offset] = value;
        var error = Assert.Throws<PartitionTableException>(() => GptHeader.Read(block));
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_header_is_a_PartitionTableException()
    {
        var block = new byte[512];
        SampleHeader().WriteTo(block);
        var error = Assert.Throws<PartitionTableException>(() => GptHeader.Read(block.AsSpan(0, 60)));
        Assert.Contains("truncated to 60 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_entry_keeps_bytes_beyond_128_and_name_code_units_that_are_not_well_formed()
    {
        var entry = new PartitionEntry
        {
            Type = RootX86_64,
            UniqueId = Guid.NewGuid(),
            StartingLba = 2048,
            EndingLba = 4095,
            Attributes = PartitionAttributes.ReadOnly | PartitionAttributes.NoAuto | PartitionAttributes.GrowFileSystem,
            Name = "a\uD800b",
            Extra = Enumerable.Range(1, 128).Select(i => (byte)i).ToArray(),
        };
        var bytes = new byte[256];
        entry.WriteTo(bytes);
        var read = PartitionEntry.Read(bytes);
        Assert.Equal(entry, read);
        Assert.True(read.ReadOnly && read.NoAuto && read.GrowFileSystem && !read.RequiredPartition && !read.LegacyBiosBootable);
    }

    [Fact]
    public void A_name_of_36_code_units_fills_the_field_without_a_terminator()
    {
        var name = new string('x', 34) + "\U0001F600";
        var bytes = new byte[128];
        new PartitionEntry { Type = RootX86_64, Name = name }.WriteTo(bytes);
        Assert.Equal(name, PartitionEntry.Read(bytes).Name);
        Assert.True(PartitionEntry.IsValidLabel(name));
        Assert.False(PartitionEntry.IsValidLabel(name + "y"));
        Assert.False(PartitionEntry.IsValidLabel("a\0b"));
    }

    [Fact]
    public void Attribute_bits_are_where_uefi_and_systemd_put_them()
    {
        Assert.Equal(0x1UL, PartitionAttributes.RequiredPartition);
        Assert.Equal(0x4UL, PartitionAttributes.LegacyBiosBootable);
        Assert.Equal(0x0800000000000000UL, PartitionAttributes.GrowFileSystem);
        Assert.Equal(0x1000000000000000UL, PartitionAttributes.ReadOnly);
        Assert.Equal(0x8000000000000000UL, PartitionAttributes.NoAuto);
        var entry = new PartitionEntry().WithAttribute(PartitionAttributes.NoAuto, true).WithAttribute(PartitionAttributes.ReadOnly, true);
        Assert.Equal(PartitionAttributes.ReadOnly, entry.WithAttribute(PartitionAttributes.NoAuto, false).Attributes);
    }

    [Fact]
    public void A_protective_mbr_round_trips()
    {
        var block = new byte[512];
        ProtectiveMbr.Create(20479, 0x12345678).WriteTo(block);
        Assert.Equal(new byte[] { 0x55, 0xAA }, block[510..]);
        Assert.Equal(0xEE, block[446 + 4]);
        var mbr = ProtectiveMbr.Read(block);
        Assert.Equal((1u, 20479u), mbr.ProtectiveRecord);
        Assert.Equal(0x12345678u, mbr.DiskSignature);
    }

    [Theory]
    [InlineData(510, 0x00, "MBR signature is 0xAA00")]
    [InlineData(450, 0x83, "no partition record of type 0xEE")]
    public void A_disk_without_a_protective_mbr_is_a_PartitionTableException(int offset, byte value, string fragment)
    {
        var block = new byte[512];
        ProtectiveMbr.Create(20479).WriteTo(block);
        block[offset] = value;
        var error = Assert.Throws<PartitionTableException>(() => ProtectiveMbr.Read(block));
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    private static GptHeader SampleHeader() => new()
    {
        MyLba = 1,
        AlternateLba = 20479,
        FirstUsableLba = 2048,
        LastUsableLba = 20446,
        DiskGuid = new Guid("220be7f1-1980-2f4d-b436-e9799e053b88"),
        PartitionEntryLba = 2,
        NumberOfPartitionEntries = 128,
        SizeOfPartitionEntry = 128,
        PartitionEntryArrayCrc32 = 0xDEADBEEF,
    };
}
