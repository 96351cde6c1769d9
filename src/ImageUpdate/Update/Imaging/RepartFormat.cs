namespace ImageUpdate.Update.Imaging;

/// <summary>
/// The file systems Format= may name here. systemd-repart knows more (ext4, btrfs, xfs, swap); an image
/// tool that must not mount anything supports vfat (an ESP), the two read-only file systems that
/// image-based OSes ship their root or /usr as (erofs, squashfs, made from CopyFiles= by mkfs.erofs and
/// mksquashfs as repart makes them), and an empty Format= (no file system: the slot stays zeroed for the
/// update path to fill, or holds CopyBlocks= or a verity hash tree).
/// </summary>
public enum RepartFormat
{
    None,
    Vfat,
    Erofs,
    Squashfs,
}
