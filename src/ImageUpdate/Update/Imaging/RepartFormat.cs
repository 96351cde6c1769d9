namespace ImageUpdate.Update.Imaging;

/// <summary>
/// The file systems Format= may name here. systemd-repart knows more (ext4, btrfs, xfs, squashfs,
/// swap); an image tool that must not mount anything and needs only an ESP supports vfat, and an
/// empty Format= (no file system: the slot stays zeroed for the update path to fill).
/// </summary>
public enum RepartFormat
{
    None,
    Vfat,
}
