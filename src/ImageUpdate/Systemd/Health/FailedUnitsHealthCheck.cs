using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.DBus;
using Tmds.DBus.Protocol;

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
    private const string UnitListSignature = "a(ssssssouso)";

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
        List<string> failed;
        try
        {
            await using var connection = await BusConnection.ConnectAsync(address, Timeout, cancellationToken).ConfigureAwait(false);
            failed = await connection.CallAsync(
                new DBusCall(Service, ManagerPath, ManagerInterface, "ListUnitsFiltered", "as", (ref MessageWriter w) => w.WriteArray(new[] { "failed" })),
                static (message, _) => ReadUnitNames(message),
                cancellationToken).ConfigureAwait(false);
        }
        catch (DBusException e)
        {
            return new HealthCheckResult(Name, false, $"systemd is running but its manager cannot be asked over D-Bus at '{UntrustedText.Escape(address)}': {e.Message}");
        }

        return failed.Count == 0
            ? new HealthCheckResult(Name, true, "No failed units.")
            : new HealthCheckResult(Name, false, $"{failed.Count} failed unit{(failed.Count == 1 ? "" : "s")}: {string.Join(", ", failed.Select(u => UntrustedText.Escape(u)))}.");
    }

    /// <summary>Each entry is (name, description, load, active, sub, following, path, job id, job type, job path): the names.</summary>
    private static List<string> ReadUnitNames(Message message)
    {
        var names = new List<string>();
        var reader = BusConnection.ReadSingle(message, UnitListSignature, "ListUnitsFiltered", "systemd");
        var end = reader.ReadArrayStart(DBusType.Struct);
        while (reader.HasNext(end))
        {
            names.Add(reader.ReadString());
            for (var i = 0; i < 5; i++)
            {
                reader.ReadString();
            }

            reader.ReadObjectPath();
            reader.ReadUInt32();
            reader.ReadString();
            reader.ReadObjectPath();
        }

        return names;
    }
}
