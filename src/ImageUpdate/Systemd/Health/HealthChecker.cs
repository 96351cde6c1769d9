using ImageUpdate.Foundation.Errors;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Systemd.Health;

/// <summary>Runs health checks one after the other, every one even after a failure, so the log tells all that is wrong.</summary>
public static class HealthChecker
{
    public static async Task<HealthReport> RunAsync(IReadOnlyList<IHealthCheck> checks, ILogger logger, CancellationToken cancellationToken)
    {
        if (checks.Count == 0)
        {
            logger.LogInformation("No health checks found: the boot counts as healthy.");
        }

        var results = new List<HealthCheckResult>();
        foreach (var check in checks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            logger.LogInformation("Running health check '{Check}'…", UntrustedText.Escape(check.Name));
            var result = await check.RunAsync(cancellationToken).ConfigureAwait(false);
            if (result.Healthy)
            {
                logger.LogInformation("Health check '{Check}' passed.", UntrustedText.Escape(result.Name));
            }
            else
            {
                logger.LogWarning("Health check '{Check}' failed: {Detail}", UntrustedText.Escape(result.Name), result.Detail);
            }

            results.Add(result);
        }

        return new HealthReport(results);
    }
}
