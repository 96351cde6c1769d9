namespace ImageUpdate.Systemd.Health;

/// <summary>The outcome of one check: healthy or not, and one line saying why (already escaped).</summary>
public sealed record HealthCheckResult(string Name, bool Healthy, string Detail);
