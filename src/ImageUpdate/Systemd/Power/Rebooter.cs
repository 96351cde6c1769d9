using System.Diagnostics;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.DBus;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Systemd.Power;

/// <summary>
/// Reboots, in this order:
/// <list type="number">
/// <item>no systemd running (a busybox initramfs with a shell as init): sync(2), then reboot(2);</item>
/// <item>else logind's Reboot(false) on the system bus, which stops services cleanly and honours
/// other programs' inhibitors, as `systemctl reboot` does;</item>
/// <item>the bus or logind unreachable (a minimal system without logind): `systemctl reboot`, with a
/// warning. A refusal from logind (access denied, blocked by an inhibitor) is an error: systemctl
/// would ask the same logind and get the same answer.</item>
/// </list>
/// The bus address and the systemd check come from the caller (the program: $DBUS_SYSTEM_BUS_ADDRESS
/// and <see cref="SystemdPresence"/> with its test hook, as read once at start).
/// </summary>
public sealed class Rebooter(ILogger? logger, string busAddress, Func<bool> systemdRunning) : IRebooter
{
    public async Task RebootAsync(CancellationToken cancellationToken)
    {
        if (!systemdRunning())
        {
            RebootDirectly();
            return;
        }

        var address = busAddress;
        try
        {
            await using var connection = await BusConnection.ConnectAsync(address, cancellationToken: cancellationToken).ConfigureAwait(false);
            await Logind.RebootAsync(connection, cancellationToken).ConfigureAwait(false);
            logger?.LogInformation("Asked logind to reboot.");
            return;
        }
        catch (DBusException e) when (Logind.MeansUnreachable(e))
        {
            logger?.LogWarning("Cannot ask logind to reboot ({Reason}); trying 'systemctl reboot'.", e.Message);
        }
        catch (DBusErrorException e)
        {
            throw new UpdateException($"logind refused to reboot: {e.Message}", e);
        }

        RebootThroughSystemctl();
    }

    private static void RebootDirectly()
    {
        // reboot(2) restarts at once: whatever is still in the page cache would be lost.
        Platform.FileSystem.Durability.SyncAll();
        try
        {
            Foundation.Native.Libc.Reboot(Foundation.Native.Libc.RebootRestart);
        }
        catch (IOException e)
        {
            throw new UpdateException($"Cannot reboot (no systemd running, and {e.Message}).", e);
        }
    }

    private static void RebootThroughSystemctl()
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
