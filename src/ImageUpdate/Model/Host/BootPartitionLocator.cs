using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.FileSystem;

namespace ImageUpdate.Model.Host;

/// <summary>
/// Finds the ESP and the XBOOTLDR partition the way bootctl and sysupdate do, minus blkid:
/// $SYSTEMD_ESP_PATH / $SYSTEMD_XBOOTLDR_PATH first (taken inside --root, as sysupdate does);
/// otherwise the ESP is the first of /efi, /boot, /boot/efi that is a mount point of a FAT file
/// system (the firmware reads nothing else), and XBOOTLDR is /boot when it is a separate mount whose
/// partition carries the XBOOTLDR type (from the udev database). Under --root, where nothing is
/// mounted, a directory holding EFI/ is the ESP. Without an XBOOTLDR, PathRelativeTo=boot falls
/// back to the ESP (sysupdate.md §1).
/// </summary>
public static class BootPartitionLocator
{
    private const string XbootldrType = "bc13c2ff-59e6-4262-a352-b275fd6f7172";

    /// <param name="overrides">$SYSTEMD_ESP_PATH and $SYSTEMD_XBOOTLDR_PATH, as the program read them.</param>
    public static BootPartitionPaths Locate(string root, BootPartitionOverrides overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var rooted = root != "/";
        var esp = FromOverride(BootPartitionOverrides.EspVariable, overrides.Esp, root);
        var xbootldr = FromOverride(BootPartitionOverrides.XbootldrVariable, overrides.Xbootldr, root);
        var mounts = rooted ? MountTable.Empty : MountTable.Read();

        if (esp is null)
        {
            foreach (var candidate in new[] { "/efi", "/boot", "/boot/efi" })
            {
                if (rooted)
                {
                    var path = Path.Join(root, candidate);
                    if (Directory.Exists(Path.Combine(path, "EFI")))
                    {
                        esp = path;
                        break;
                    }
                }
                else if (mounts.Find(candidate) is not null && Foundation.Native.Libc.FileSystemType.Of(candidate) == Foundation.Native.Libc.FileSystemType.Fat)
                {
                    esp = candidate;
                    break;
                }
            }
        }

        if (xbootldr is null && !rooted && esp != "/boot" && mounts.Find("/boot") is { } boot && IsXbootldr(boot))
        {
            xbootldr = "/boot";
        }

        return new BootPartitionPaths(esp, xbootldr);
    }

    private static string? FromOverride(string variable, string? value, string root)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (!Path.IsPathRooted(value))
        {
            throw new UpdateException($"${variable} must be an absolute path, not '{UntrustedText.Escape(value)}'.");
        }

        return RootedPath.Resolve(root, value);
    }

    private static bool IsXbootldr(MountTable.Mount mount)
    {
        // The udev database records the GPT partition type of every block device it has seen.
        var record = $"/run/udev/data/b{mount.Major}:{mount.Minor}";
        try
        {
            return File.Exists(record) && File.ReadLines(record)
                .Any(l => l.StartsWith("E:ID_PART_ENTRY_TYPE=", StringComparison.Ordinal) &&
                          l["E:ID_PART_ENTRY_TYPE=".Length..].Equals(XbootldrType, StringComparison.OrdinalIgnoreCase));
        }
        catch (IOException)
        {
            return false;
        }
    }
}
