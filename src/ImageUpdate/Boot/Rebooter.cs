using System.Diagnostics;
using ImageUpdate.Errors;

namespace ImageUpdate.Boot;

/// <summary>
/// Reboots: through the service manager (`systemctl reboot`, which stops services cleanly) when systemd
/// runs, else (an initramfs with a shell as init) sync(2) then reboot(2). The D-Bus issue replaces the
/// systemctl call with logind.
/// </summary>
public static class Rebooter
{
    /// <summary>sd_booted(): systemd creates this directory early at boot, and nothing else does.</summary>
    public const string SystemdRunDirectory = "/run/systemd/system";

    public static void Reboot() => Reboot(Directory.Exists(SystemdRunDirectory));

    public static void Reboot(bool systemdRunning)
    {
        if (systemdRunning)
        {
            RebootThroughSystemd();
            return;
        }

        // reboot(2) restarts at once: whatever is still in the page cache would be lost.
        FileSystem.Durability.SyncAll();
        try
        {
            Native.Libc.Reboot(Native.Libc.RebootRestart);
        }
        catch (IOException e)
        {
            throw new UpdateException($"Cannot reboot (no systemd running, and {e.Message}).", e);
        }
    }

    private static void RebootThroughSystemd()
    {
        Process? started;
        try
        {
            started = Process.Start(new ProcessStartInfo("systemctl", ["reboot"]) { UseShellExecute = false });
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UpdateException($"Cannot start 'systemctl reboot': {e.Message}.", e);
        }

        using var process = started ?? throw new UpdateException("Cannot start 'systemctl reboot'.");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new UpdateException($"'systemctl reboot' failed with exit status {process.ExitCode}.");
        }
    }
}
