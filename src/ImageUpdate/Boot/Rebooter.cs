using System.Diagnostics;
using ImageUpdate.Errors;

namespace ImageUpdate.Boot;

/// <summary>Asks the service manager to reboot (`systemctl reboot`); the D-Bus issue replaces this with logind.</summary>
public static class Rebooter
{
    public static void Reboot()
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
