namespace ImageUpdate.Formats.Pe;

/// <summary>
/// One entry of a PE section table (PE format, "Section Table (Section Headers)"): the name (the 8-byte
/// field up to its first NUL, as ASCII), where the section is in memory and in the file, and its flags.
/// </summary>
public sealed record PeSection(string Name, uint VirtualSize, uint VirtualAddress, uint SizeOfRawData, uint PointerToRawData, uint Characteristics)
{
    /// <summary>IMAGE_SCN_CNT_CODE.</summary>
    public const uint ContainsCode = 0x0000_0020;

    /// <summary>IMAGE_SCN_CNT_INITIALIZED_DATA.</summary>
    public const uint ContainsInitializedData = 0x0000_0040;

    /// <summary>IMAGE_SCN_MEM_READ.</summary>
    public const uint MemoryRead = 0x4000_0000;

    /// <summary>The bytes the section holds in memory that come from the file: the smaller of its virtual and raw sizes.</summary>
    public uint DataSize => Math.Min(VirtualSize, SizeOfRawData);
}
