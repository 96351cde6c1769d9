using System.Buffers.Binary;

namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// One GPT partition entry (UEFI 2.10 §5.3.3, table 5.6). An entry whose type is the zero GUID is
/// unused. Bytes beyond offset 128 (entries may be larger, in multiples of 128) are kept in
/// <see cref="Extra"/> and written back. The name is kept as the UTF-16 code units read, up to the first
/// NUL, so a rewrite reproduces them even when they are not well-formed UTF-16.
/// </summary>
public sealed record PartitionEntry
{
    /// <summary>The size of the fields UEFI defines; SizeOfPartitionEntry is this times 2^n.</summary>
    public const int MinimumSize = Layout.End;

    /// <summary>The name field holds 36 UTF-16 code units (72 bytes).</summary>
    public const int MaxNameLength = Layout.NameLength / sizeof(char);

    public static PartitionEntry Unused { get; } = new();

    public Guid Type { get; init; }

    public Guid UniqueId { get; init; }

    public ulong StartingLba { get; init; }

    /// <summary>Inclusive, as on disk.</summary>
    public ulong EndingLba { get; init; }

    public ulong Attributes { get; init; }

    public string Name { get; init; } = string.Empty;

    /// <summary>Entry bytes beyond offset 128, up to SizeOfPartitionEntry.</summary>
    public ReadOnlyMemory<byte> Extra { get; init; } = ReadOnlyMemory<byte>.Empty;

    public bool IsUsed => Type != Guid.Empty;

    /// <summary>The number of logical blocks, for an entry whose start is not after its end.</summary>
    public ulong SizeInLba => EndingLba - StartingLba + 1;

    public bool ReadOnly => PartitionAttributes.Has(Attributes, PartitionAttributes.ReadOnly);

    public bool NoAuto => PartitionAttributes.Has(Attributes, PartitionAttributes.NoAuto);

    public bool GrowFileSystem => PartitionAttributes.Has(Attributes, PartitionAttributes.GrowFileSystem);

    public bool RequiredPartition => PartitionAttributes.Has(Attributes, PartitionAttributes.RequiredPartition);

    public bool LegacyBiosBootable => PartitionAttributes.Has(Attributes, PartitionAttributes.LegacyBiosBootable);

    /// <summary>
    /// systemd's gpt_partition_label_valid: the label must fit the 36 UTF-16 code units of the name
    /// field. A NUL would end it early, so it is refused too.
    /// </summary>
    public static bool IsValidLabel(string label) => label.Length <= MaxNameLength && !label.Contains('\0', StringComparison.Ordinal);

    public static PartitionEntry Read(ReadOnlySpan<byte> entry) => Read(entry, "buffer");

    /// <summary>Parses one entry of SizeOfPartitionEntry bytes; <paramref name="source"/> names the device in errors.</summary>
    public static PartitionEntry Read(ReadOnlySpan<byte> entry, string source)
    {
        if (entry.Length < MinimumSize)
        {
            throw new PartitionTableException(source, $"a partition entry is truncated to {entry.Length} bytes, expected at least {MinimumSize}");
        }

        var name = entry.Slice(Layout.Name, Layout.NameLength);
        var units = new char[MaxNameLength];
        var length = 0;
        while (length < MaxNameLength)
        {
            var unit = (char)BinaryPrimitives.ReadUInt16LittleEndian(name[(length * sizeof(char))..]);
            if (unit == '\0')
            {
                break;
            }

            units[length++] = unit;
        }

        return new PartitionEntry
        {
            // Mixed-endian on disk (UEFI 2.10 appendix A), which is System.Guid's byte layout.
            Type = new Guid(entry.Slice(Layout.Type, Layout.GuidLength)),
            UniqueId = new Guid(entry.Slice(Layout.UniqueId, Layout.GuidLength)),
            StartingLba = BinaryPrimitives.ReadUInt64LittleEndian(entry[Layout.StartingLba..]),
            EndingLba = BinaryPrimitives.ReadUInt64LittleEndian(entry[Layout.EndingLba..]),
            Attributes = BinaryPrimitives.ReadUInt64LittleEndian(entry[Layout.Attributes..]),
            Name = new string(units, 0, length),
            Extra = entry[MinimumSize..].ToArray(),
        };
    }

    /// <summary>
    /// Writes the entry into <paramref name="entry"/> (SizeOfPartitionEntry bytes): the 128 defined bytes,
    /// then <see cref="Extra"/>, cut or zero-padded to the span.
    /// </summary>
    public void WriteTo(Span<byte> entry)
    {
        if (entry.Length < MinimumSize)
        {
            throw new ArgumentException($"A partition entry needs at least {MinimumSize} bytes, got {entry.Length}.", nameof(entry));
        }

        if (!IsValidLabel(Name))
        {
            throw new ArgumentException($"The partition label '{Foundation.Errors.UntrustedText.Escape(Name)}' does not fit the GPT name field.", nameof(entry));
        }

        entry.Clear();
        Type.TryWriteBytes(entry.Slice(Layout.Type, Layout.GuidLength));
        UniqueId.TryWriteBytes(entry.Slice(Layout.UniqueId, Layout.GuidLength));
        BinaryPrimitives.WriteUInt64LittleEndian(entry[Layout.StartingLba..], StartingLba);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[Layout.EndingLba..], EndingLba);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[Layout.Attributes..], Attributes);
        for (var i = 0; i < Name.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(entry[(Layout.Name + (i * sizeof(char)))..], Name[i]);
        }

        var extra = Extra.Span;
        var room = entry.Length - MinimumSize;
        extra[..Math.Min(extra.Length, room)].CopyTo(entry[MinimumSize..]);
    }

    public PartitionEntry WithAttribute(ulong flag, bool set) => this with { Attributes = PartitionAttributes.With(Attributes, flag, set) };

    public bool Equals(PartitionEntry? other) =>
        other is not null
        && Type == other.Type
        && UniqueId == other.UniqueId
        && StartingLba == other.StartingLba
        && EndingLba == other.EndingLba
        && Attributes == other.Attributes
        && string.Equals(Name, other.Name, StringComparison.Ordinal)
        && Extra.Span.SequenceEqual(other.Extra.Span);

    public override int GetHashCode() => HashCode.Combine(Type, UniqueId, StartingLba, EndingLba, Attributes, Name);

    /// <summary>UEFI 2.10 table 5.6, offsets derived from the field sizes.</summary>
    private static class Layout
    {
        public const int GuidLength = 16;
        public const int NameLength = 72;
        public const int Type = 0;
        public const int UniqueId = Type + GuidLength;
        public const int StartingLba = UniqueId + GuidLength;
        public const int EndingLba = StartingLba + sizeof(ulong);
        public const int Attributes = EndingLba + sizeof(ulong);
        public const int Name = Attributes + sizeof(ulong);
        public const int End = Name + NameLength;
    }
}
