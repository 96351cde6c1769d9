using ImageUpdate.Platform.Processes;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Systemd.Health;

/// <summary>
/// Which checks `bless` runs: "no failed units" (asked of the systemd manager over D-Bus) unless
/// <paramref name="UnitCheck"/> is off, then the executables of the health.d directories (empty:
/// <see cref="HealthCheckDirectories.Default"/>; earlier ones mask later ones), each with
/// <paramref name="Timeout"/>.
/// </summary>
public sealed record HealthCheckOptions(IReadOnlyList<string> Directories, TimeSpan Timeout, bool UnitCheck)
{
    /// <summary>The defaults: both health.d directories, <see cref="ExecutableHealthCheck.DefaultTimeout"/>, failed units counted.</summary>
    public static HealthCheckOptions Default { get; } = new([], ExecutableHealthCheck.DefaultTimeout, UnitCheck: true);

    /// <summary>The system bus the unit check asks the manager on ($DBUS_SYSTEM_BUS_ADDRESS as the program read it, else the default).</summary>
    public string SystemBus { get; init; } = Platform.DBus.BusAddress.DefaultSystemBus;

    /// <summary>$IMAGE_UPDATE_TEST_SYSTEMD_RUNNING as the program read it (<see cref="Power.SystemdPresence.IsRunning"/>).</summary>
    public string? SystemdRunningOverride { get; init; }

    /// <summary>The checks these options name, found now (the health.d directories are read here).</summary>
    public IReadOnlyList<IHealthCheck> Discover(ILogger logger)
    {
        List<IHealthCheck> checks = UnitCheck ? [new FailedUnitsHealthCheck(SystemBus, () => Power.SystemdPresence.IsRunning(SystemdRunningOverride)) { Timeout = Timeout }] : [];
        checks.AddRange(HealthCheckDirectories.Discover(Directories.Count > 0 ? Directories : HealthCheckDirectories.Default, Timeout, new ProcessRunner(), logger));
        return checks;
    }
}
