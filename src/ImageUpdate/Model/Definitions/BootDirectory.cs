using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Host;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// The directory a target's PathRelativeTo=esp|xbootldr|boot names, on the partitions the host's
/// <see cref="BootPartitionLocator"/> found (boot prefers XBOOTLDR, as bootctl's $BOOT does).
/// </summary>
public static class BootDirectory
{
    public static string Of(BootPartitionPaths paths, PathRelativeTo relativeTo) => relativeTo switch
    {
        PathRelativeTo.Esp => paths.Esp ?? throw new UpdateException("Cannot find the EFI System Partition (ESP): set SYSTEMD_ESP_PATH or mount it (FAT) at /efi, /boot or /boot/efi."),
        PathRelativeTo.Xbootldr => paths.Xbootldr ?? throw new UpdateException("Cannot find the XBOOTLDR partition: set SYSTEMD_XBOOTLDR_PATH or mount it at /boot."),
        PathRelativeTo.Boot => paths.Xbootldr ?? paths.Esp ?? throw new UpdateException("Cannot find $BOOT (neither an XBOOTLDR partition nor an ESP): set SYSTEMD_ESP_PATH or SYSTEMD_XBOOTLDR_PATH."),
        _ => throw new ArgumentOutOfRangeException(nameof(relativeTo)),
    };
}
