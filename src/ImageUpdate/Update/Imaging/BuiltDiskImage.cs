using ImageUpdate.Formats.Gpt;

namespace ImageUpdate.Update.Imaging;

/// <summary>A disk image <see cref="DiskImageBuilder"/> wrote: its path and where each partition went.</summary>
public sealed record BuiltDiskImage(string Path, DiskLayout Layout)
{
    /// <summary>The first ESP with a FAT file system, where systemd-boot and the UKIs go; null when there is none.</summary>
    public PlannedPartition? Esp =>
        Layout.Partitions.FirstOrDefault(p => p.Type == PartitionType.Esp && p.Format == RepartFormat.Vfat);
}
