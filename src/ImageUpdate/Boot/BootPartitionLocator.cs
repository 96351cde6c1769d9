using ImageUpdate.Errors;

namespace ImageUpdate.Boot;

/// <summary>
/// Finds the ESP and the XBOOTLDR partition the way bootctl and sysupdate do, minus the udev probing:
/// $SYSTEMD_ESP_PATH / $SYSTEMD_XBOOTLDR_PATH first; otherwise the ESP is the first of /efi, /boot,
/// /boot/efi (under --root) that is a mount point of its own (or, under --root, a directory holding
/// EFI/), and XBOOTLDR is /boot when it is a separate mount point from the ESP. Without an XBOOTLDR,
/// PathRelativeTo=boot falls back to the ESP (sysupdate.md §1).
/// </summary>
public static class BootPartitionLocator
{
    public static BootPartitionPaths Locate(string root)
    {
        var esp = Environment.GetEnvironmentVariable("SYSTEMD_ESP_PATH");
        var xbootldr = Environment.GetEnvironmentVariable("SYSTEMD_XBOOTLDR_PATH");

        if (string.IsNullOrEmpty(esp))
        {
            esp = null;
            foreach (var candidate in new[] { "/efi", "/boot", "/boot/efi" })
            {
                var path = Under(root, candidate);
                if (root != "/" ? Directory.Exists(Path.Combine(path, "EFI")) : IsMountPoint(path))
                {
                    esp = path;
                    break;
                }
            }
        }

        if (string.IsNullOrEmpty(xbootldr))
        {
            xbootldr = null;
            var boot = Under(root, "/boot");
            if (esp is not null && Path.GetFullPath(esp) != Path.GetFullPath(boot) && root == "/" && IsMountPoint(boot))
            {
                xbootldr = boot;
            }
        }

        return new BootPartitionPaths(esp, xbootldr);
    }

    /// <summary>The directory PathRelativeTo=esp|xbootldr|boot names.</summary>
    public static string Resolve(BootPartitionPaths paths, Definitions.PathRelativeTo relativeTo) => relativeTo switch
    {
        Definitions.PathRelativeTo.Esp => paths.Esp ?? throw new UpdateException("Cannot find the EFI System Partition (ESP): set SYSTEMD_ESP_PATH or mount it at /efi, /boot or /boot/efi."),
        Definitions.PathRelativeTo.Xbootldr => paths.Xbootldr ?? throw new UpdateException("Cannot find the XBOOTLDR partition: set SYSTEMD_XBOOTLDR_PATH or mount it at /boot."),
        Definitions.PathRelativeTo.Boot => paths.Xbootldr ?? paths.Esp ?? throw new UpdateException("Cannot find $BOOT (neither an XBOOTLDR partition nor an ESP): set SYSTEMD_ESP_PATH or SYSTEMD_XBOOTLDR_PATH."),
        _ => throw new ArgumentOutOfRangeException(nameof(relativeTo)),
    };

    private static string Under(string root, string path) => root == "/" ? path : Path.Join(root, path);

    private static bool IsMountPoint(string path)
    {
        try
        {
            if (FileSystem.FileMetadata.TryGetStatus(path) is not { Kind: FileSystem.FileKind.Directory })
            {
                return false;
            }

            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                // Field 5 is the mount point, with spaces and such octal-escaped.
                var fields = line.Split(' ');
                if (fields.Length > 4 && Unescape(fields[4]) == Path.GetFullPath(path).TrimEnd('/'))
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
        }

        return false;
    }

    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
