namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// The GPT partition attribute bits image-update cares about. Bits 0-2 are UEFI 2.10 table 5.8; bits
/// 59, 60 and 63 are the ones systemd defines for discoverable partitions (sd-gpt.h:
/// SD_GPT_FLAG_GROWFS, SD_GPT_FLAG_READ_ONLY, SD_GPT_FLAG_NO_AUTO), which sysupdate's
/// ReadOnly=, PartitionGrowFileSystem= and PartitionNoAuto= set.
/// </summary>
public static class PartitionAttributes
{
    /// <summary>UEFI: the platform needs this partition to function (bit 0).</summary>
    public const ulong RequiredPartition = 1UL << 0;

    /// <summary>UEFI: firmware must not produce an EFI_BLOCK_IO_PROTOCOL for it (bit 1).</summary>
    public const ulong NoBlockIoProtocol = 1UL << 1;

    /// <summary>UEFI: legacy BIOS bootable (bit 2).</summary>
    public const ulong LegacyBiosBootable = 1UL << 2;

    /// <summary>systemd SD_GPT_FLAG_GROWFS (bit 59).</summary>
    public const ulong GrowFileSystem = 1UL << 59;

    /// <summary>systemd SD_GPT_FLAG_READ_ONLY (bit 60).</summary>
    public const ulong ReadOnly = 1UL << 60;

    /// <summary>systemd SD_GPT_FLAG_NO_AUTO (bit 63).</summary>
    public const ulong NoAuto = 1UL << 63;

    public static bool Has(ulong attributes, ulong flag) => (attributes & flag) == flag;

    public static ulong With(ulong attributes, ulong flag, bool set) => set ? attributes | flag : attributes & ~flag;
}
