using System.Diagnostics;
using ImageUpdate.Errors;

namespace ImageUpdate.Boot;

/// <summary>Asks the service manager to reboot (`systemctl reboot`); the D-Bus issue replaces this with logind.</summary>
public static class Rebooter
{
    public static void Reboot()
    {
        using var process = Process.Start(new ProcessStartInfo("systemctl", ["reboot"]) { UseShellExecute = false })
            ?? throw new UpdateException("Cannot start 'systemctl reboot'.");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new UpdateException($"'systemctl reboot' failed with exit status {process.ExitCode}.");
        }
    }
}
