using ImageUpdate.Systemd.Health;
using ImageUpdate.Tests.Platform.DBus;

namespace ImageUpdate.Tests.Systemd.Power;

/// <summary>The "no failed units" health check against a fake systemd manager on a private system bus.</summary>
public sealed class FailedUnitsHealthCheckTests
{
    [Fact]
    public async Task Without_systemd_there_are_no_units_and_the_check_passes_without_a_bus()
    {
        var result = await new FailedUnitsHealthCheck("unix:path=/nonexistent/bus", () => false).RunAsync(CancellationToken.None);

        Assert.True(result.Healthy);
        Assert.Equal("failed-units", result.Name);
        Assert.Contains("systemd is not running", result.Detail);
    }

    [Fact]
    public async Task Systemd_running_but_out_of_reach_is_not_known_healthy()
    {
        var result = await new FailedUnitsHealthCheck("unix:path=/nonexistent/bus", () => true).RunAsync(CancellationToken.None);

        Assert.False(result.Healthy);
        Assert.Contains("its manager cannot be asked over D-Bus at 'unix:path=/nonexistent/bus'", result.Detail);
    }

    [Fact]
    public async Task Failed_units_are_named_escaped_and_none_passes()
    {
        DBusTestTools.RequirePython();

        using (var failing = await FakeSystemServices.StartAsync("a.service", "evil\u001b[31m.service"))
        {
            var result = await new FailedUnitsHealthCheck(failing.Bus.Address, () => true).RunAsync(CancellationToken.None);

            Assert.False(result.Healthy);
            Assert.Equal("2 failed units: a.service, evil\\x1b[31m.service.", result.Detail);
            Assert.Equal(["failed"], failing.Record("list-units"));
        }

        using var healthy = await FakeSystemServices.StartAsync();
        var ok = await new FailedUnitsHealthCheck(healthy.Bus.Address, () => true).RunAsync(CancellationToken.None);
        Assert.True(ok.Healthy, ok.Detail);
    }

    [Fact]
    public async Task A_bus_without_systemd_on_it_fails_the_check()
    {
        DBusTestTools.RequireDaemon();

        using var empty = FakeSystemServices.StartBusOnly();
        var result = await new FailedUnitsHealthCheck(empty.Bus.Address, () => true).RunAsync(CancellationToken.None);

        Assert.False(result.Healthy);
        Assert.Contains("org.freedesktop.DBus.Error.ServiceUnknown", result.Detail);
    }
}
