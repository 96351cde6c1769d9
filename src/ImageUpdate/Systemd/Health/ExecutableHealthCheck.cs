using System.Globalization;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Processes;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Systemd.Health;

/// <summary>
/// A program from a health.d directory: run without arguments, healthy when it exits 0 within its
/// timeout. What it prints is logged line by line, escaped: it is text from outside image-update.
/// </summary>
public sealed class ExecutableHealthCheck : IHealthCheck
{
    /// <summary>How long a check may run unless told otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private readonly IProcessRunner _runner;
    private readonly ILogger _logger;

    public ExecutableHealthCheck(string path, TimeSpan timeout, IProcessRunner runner, ILogger logger)
    {
        Path = path;
        Timeout = timeout;
        _runner = runner;
        _logger = logger;
    }

    public string Path { get; }

    public TimeSpan Timeout { get; }

    public string Name => System.IO.Path.GetFileName(Path);

    public async Task<HealthCheckResult> RunAsync(CancellationToken cancellationToken)
    {
        ProcessResult result;
        try
        {
            result = await _runner.RunAsync(new ProcessRequest(Path, []) { Timeout = Timeout, CheckExitCode = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (ExternalToolException e)
        {
            // It could not be started, or ran past its timeout and was killed.
            Log(e.StandardError);
            return new HealthCheckResult(Name, false, e.ToolExitCode is null && e.InnerException is null
                ? $"'{UntrustedText.Escape(Path)}' did not finish within {Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s and was killed."
                : e.Message);
        }

        Log(result.StandardOutput);
        Log(result.StandardError);
        return result.ExitCode == 0
            ? new HealthCheckResult(Name, true, "exited with status 0")
            : new HealthCheckResult(Name, false, $"'{UntrustedText.Escape(Path)}' exited with status {result.ExitCode}.");
    }

    private void Log(string output)
    {
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            _logger.LogInformation("{Check}: {Line}", UntrustedText.Escape(Name), UntrustedText.Escape(line.TrimEnd('\r')));
        }
    }
}
