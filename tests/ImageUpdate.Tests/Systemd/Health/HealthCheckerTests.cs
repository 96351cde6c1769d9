using ImageUpdate.Platform.Processes;
using ImageUpdate.Systemd.Health;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Systemd.Health;

public sealed class HealthCheckerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RecordingLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private ExecutableHealthCheck Check(string name, string body, double timeoutSeconds = 60)
    {
        var path = _dir[name];
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new ExecutableHealthCheck(path, TimeSpan.FromSeconds(timeoutSeconds), new ProcessRunner(), _log);
    }

    [Fact]
    public async Task Exit_status_0_is_healthy_and_anything_else_is_not()
    {
        var report = await HealthChecker.RunAsync([Check("ok", "exit 0"), Check("broken", "exit 3")], _log, CancellationToken.None);

        Assert.False(report.Healthy);
        Assert.Equal([true, false], report.Results.Select(r => r.Healthy));
        Assert.Contains("exited with status 3", Assert.Single(report.Failures).Detail);
    }

    [Fact]
    public async Task Every_check_runs_even_after_a_failure()
    {
        var report = await HealthChecker.RunAsync([Check("a", "exit 1"), Check("b", "exit 0"), Check("c", "exit 2")], _log, CancellationToken.None);

        Assert.Equal(["a", "b", "c"], report.Results.Select(r => r.Name));
        Assert.Equal(2, report.Failures.Count());
    }

    [Fact]
    public async Task No_checks_is_healthy()
    {
        var report = await HealthChecker.RunAsync([], _log, CancellationToken.None);

        Assert.True(report.Healthy);
        Assert.Contains(_log.Lines, l => l.Contains("No health checks found"));
    }

    [Fact]
    public async Task A_check_past_its_timeout_is_killed_and_unhealthy()
    {
        var started = DateTime.UtcNow;

        var report = await HealthChecker.RunAsync([Check("slow", "sleep 30", timeoutSeconds: 0.5)], _log, CancellationToken.None);

        Assert.False(report.Healthy);
        Assert.Contains("did not finish within 0.5 s", report.Results[0].Detail);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Output_is_logged_line_by_line_with_control_bytes_escaped()
    {
        var report = await HealthChecker.RunAsync([Check("talk", "printf 'first\\nred \\033[31m\\n'; echo oops >&2")], _log, CancellationToken.None);

        Assert.True(report.Healthy);
        Assert.Contains("talk: first", _log.Lines);
        Assert.Contains(@"talk: red \x1b[31m", _log.Lines);
        Assert.Contains("talk: oops", _log.Lines);
        Assert.DoesNotContain(_log.Lines, l => l.Contains('\x1b'));
    }

    [Fact]
    public async Task A_check_that_cannot_start_is_unhealthy()
    {
        var path = _dir["noexec"];
        File.WriteAllText(path, "#!/nonexistent/interpreter\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var report = await HealthChecker.RunAsync([new ExecutableHealthCheck(path, TimeSpan.FromSeconds(5), new ProcessRunner(), _log)], _log, CancellationToken.None);

        Assert.False(report.Healthy);
        Assert.Contains("could not be started", report.Results[0].Detail);
    }

    [Fact]
    public async Task Any_IHealthCheck_takes_part()
    {
        var report = await HealthChecker.RunAsync([Check("ok", "exit 0"), new Fixed("failed-units", false)], _log, CancellationToken.None);

        Assert.False(report.Healthy);
        Assert.Equal("failed-units", Assert.Single(report.Failures).Name);
    }

    private sealed class Fixed(string name, bool healthy) : IHealthCheck
    {
        public string Name => name;

        public Task<HealthCheckResult> RunAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new HealthCheckResult(name, healthy, healthy ? "fine" : "2 units failed"));
    }
}
