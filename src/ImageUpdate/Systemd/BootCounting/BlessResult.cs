using ImageUpdate.Systemd.Health;

namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// The booted entry after `bless`, and the health report when the checks ran (null: the action was
/// given, or the boot had its verdict already).
/// </summary>
public sealed record BlessResult(BootEntry Entry, HealthReport? Health)
{
    /// <summary>The checks ran and one failed: the boot was marked bad (the program exits 1).</summary>
    public bool FoundUnhealthy => Health is { Healthy: false };
}
