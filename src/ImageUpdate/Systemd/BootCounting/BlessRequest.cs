using ImageUpdate.Systemd.Health;

namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// One `bless`: the action, where the booted entry is, the health checks an assessment runs, and
/// whether a boot found unhealthy is followed by a reboot into another entry.
/// </summary>
public sealed record BlessRequest(BlessAction Action, BootEntryLocation Location, HealthCheckOptions HealthChecks, bool Reboot);
