namespace ImageUpdate.Systemd.Health;

/// <summary>Every check's outcome; the boot is healthy when all passed (and trivially so when there were none).</summary>
public sealed record HealthReport(IReadOnlyList<HealthCheckResult> Results)
{
    public bool Healthy => Results.All(r => r.Healthy);

    public IEnumerable<HealthCheckResult> Failures => Results.Where(r => !r.Healthy);
}
