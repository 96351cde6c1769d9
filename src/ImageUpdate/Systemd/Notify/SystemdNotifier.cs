using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Systemd.Notify;

/// <summary>
/// The sd_notify(3) protocol, our own (no libsystemd dependency): each state change is one datagram
/// of newline-separated KEY=VALUE lines sent to the unix socket named by $NOTIFY_SOCKET, an absolute
/// path or, with a leading '@', an abstract name. Without $NOTIFY_SOCKET every call is a no-op. The
/// messages mirror what systemd-sysupdate sends (READY=1, X_SYSUPDATE_VERSION=, X_SYSUPDATE_PROGRESS=,
/// X_SYSUPDATE_TRANSFERS_LEFT=/DONE=, STATUS=), so a service manager or systemd-sysupdated reading them
/// cannot tell the two apart. Like sysupdate, a failed send is logged and otherwise ignored.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly string? _socketPath;
    private readonly ILogger? _logger;
    private readonly object _lock = new();
    private Socket? _socket;

    public SystemdNotifier(string? notifySocket, ILogger? logger = null)
    {
        _logger = logger;
        if (string.IsNullOrEmpty(notifySocket))
        {
            return;
        }

        // sd_notify(3): "/..." is a path, "@..." an abstract socket; other forms (vsock:) are not ours.
        if (notifySocket[0] == '/')
        {
            _socketPath = notifySocket;
        }
        else if (notifySocket[0] == '@')
        {
            _socketPath = "\0" + notifySocket[1..];
        }
        else
        {
            logger?.LogDebug("NOTIFY_SOCKET={Socket} is not a unix socket address; not notifying", Foundation.Errors.UntrustedText.Escape(notifySocket));
        }
    }

    /// <summary>The notifier for this process: <paramref name="notifySocket"/> ($NOTIFY_SOCKET), or a no-op when it is null.</summary>
    public static SystemdNotifier For(string? notifySocket, ILogger? logger = null) => new(notifySocket, logger);

    public bool IsEnabled => _socketPath is not null;

    /// <summary>Sends one datagram with the given lines, each "KEY=VALUE".</summary>
    public void Notify(params string[] lines)
    {
        if (_socketPath is null || lines.Length == 0)
        {
            return;
        }

        var datagram = Encoding.UTF8.GetBytes(string.Join('\n', lines));
        try
        {
            lock (_lock)
            {
                _socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                _socket.SendTo(datagram, new UnixDomainSocketEndPoint(_socketPath));
            }
        }
        catch (SocketException e)
        {
            _logger?.LogDebug(e, "Cannot send to NOTIFY_SOCKET");
        }
    }

    public void Ready() => Notify("READY=1");

    public void Status(string status) => Notify("STATUS=" + OneLine(status));

    /// <summary>What sysupdate sends once it has picked the version to install.</summary>
    public void UpdateSelected(string version) =>
        Notify("READY=1", "X_SYSUPDATE_VERSION=" + OneLine(version), $"STATUS=Making room for '{OneLine(version)}'.");

    /// <summary>
    /// Progress of transfer <paramref name="transferIndex"/> (0-based) of <paramref name="transferCount"/>
    /// at <paramref name="percentage"/> %, scaled to the whole update as sysupdate does: each
    /// transfer is an equal share, the done ones count in full.
    /// </summary>
    public void Progress(int transferIndex, int transferCount, int percentage, string version)
    {
        var overall = OverallProgress(transferIndex, transferCount, percentage);
        Notify(
            "X_SYSUPDATE_PROGRESS=" + overall.ToString(CultureInfo.InvariantCulture),
            "X_SYSUPDATE_TRANSFERS_LEFT=" + (transferCount - transferIndex).ToString(CultureInfo.InvariantCulture),
            "X_SYSUPDATE_TRANSFERS_DONE=" + transferIndex.ToString(CultureInfo.InvariantCulture),
            $"STATUS=Updating to '{OneLine(version)}' ({overall}% complete).");
    }

    /// <summary>The overall percentage: (100·100·i/n + 100·p/n)/100 in integer steps, never above 100.</summary>
    public static int OverallProgress(int transferIndex, int transferCount, int percentage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(transferIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(transferIndex, transferCount);
        percentage = Math.Clamp(percentage, 0, 100);
        var baseShare = 100L * 100 * transferIndex / transferCount;
        var scaled = 100L * percentage / transferCount;
        return (int)Math.Min(100, (baseShare + scaled) / 100);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _socket?.Dispose();
            _socket = null;
        }
    }

    /// <summary>A newline in a value would start a new KEY=VALUE line; the protocol has no escaping.</summary>
    private static string OneLine(string value) => value.Replace('\n', ' ');
}
