using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.DBus;

namespace ImageUpdate.Systemd.Health;

/// <summary>
/// "No failed units": asks the systemd manager (org.freedesktop.systemd1(5),
/// Manager.ListUnitsFiltered(["failed"])) and fails naming every unit in the failed state, as
/// `systemctl --failed` would list them. Without systemd (an initramfs) there are no units and the
/// check passes. With systemd running but its manager out of reach over the system bus, the check
/// fails: a system that cannot be asked is not known to be healthy, and bless only marks known-healthy
/// boots good.
/// </summary>
public sealed class FailedUnitsHealthCheck(string busAddress, Func<bool> systemdRunning) : IHealthCheck
{
    public const string CheckName = "failed-units";

    private const string Service = "org.freedesktop.systemd1";
    private const string ManagerPath = "/org/freedesktop/systemd1";
    private const string ManagerInterface = "org.freedesktop.systemd1.Manager";

    /// <summary>How long the manager may take to answer; it is busy at boot, but never this long.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(25);

    public string Name => CheckName;

    public async Task<HealthCheckResult> RunAsync(CancellationToken cancellationToken)
    {
        if (!systemdRunning())
        {
            return new HealthCheckResult(Name, true, "systemd is not running: no units to check.");
        }

        var address = busAddress;
        object[] units;
        try
        {
            await using var connection = await DBusConnection.ConnectAsync(address, isMessageBus: true, logger: null, cancellationToken).ConfigureAwait(false);
            connection.CallTimeout = Timeout;
            var reply = await connection.CallAsync(
                DBusMessage.MethodCall(Service, new ObjectPath(ManagerPath), ManagerInterface, "ListUnitsFiltered", new DBusSignature("as"), [new[] { "failed" }]),
                cancellationToken).ConfigureAwait(false);
            reply.DisposeUnixFds();
            units = reply.Body is [object[] list] && reply.Signature.Value == "a(ssssssouso)"
                ? list
                : throw new DBusProtocolException($"systemd answered ListUnitsFiltered with signature '{UntrustedText.Escape(reply.Signature.Value)}', not 'a(ssssssouso)'.");
        }
        catch (DBusException e)
        {
            return new HealthCheckResult(Name, false, $"systemd is running but its manager cannot be asked over D-Bus at '{UntrustedText.Escape(address)}': {e.Message}");
        }

        // Each entry is (name, description, load, active, sub, following, path, job id, job type, job path).
        var failed = units.OfType<object[]>().Select(u => u[0] as string).OfType<string>().ToList();
        return failed.Count == 0
            ? new HealthCheckResult(Name, true, "No failed units.")
            : new HealthCheckResult(Name, false, $"{failed.Count} failed unit{(failed.Count == 1 ? "" : "s")}: {string.Join(", ", failed.Select(u => UntrustedText.Escape(u)))}.");
    }
}
