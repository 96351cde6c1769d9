namespace ImageUpdate.Systemd.Health;

/// <summary>
/// One test of whether this boot is healthy. `bless` runs every check it is given and marks the boot
/// good only when all pass; executables from health.d are one kind, and any other test (such as "no
/// failed systemd units" over D-Bus) joins by implementing this and being added to the list.
/// </summary>
public interface IHealthCheck
{
    /// <summary>A short name for logs (the executable's file name, "failed-units", ...).</summary>
    string Name { get; }

    /// <summary>Runs the check. A check that cannot run reports itself unhealthy rather than throwing.</summary>
    Task<HealthCheckResult> RunAsync(CancellationToken cancellationToken);
}
