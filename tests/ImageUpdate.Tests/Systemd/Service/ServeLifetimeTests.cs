using ImageUpdate.Platform.DBus;
using ImageUpdate.Tests.Platform.DBus;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Systemd.Service;

/// <summary>When `serve` leaves: after its idle time (releasing the name first), on SIGTERM, and at once when the name is taken.</summary>
public sealed class ServeLifetimeTests : IDisposable
{
    private ServiceBus? _bus;

    public void Dispose() => _bus?.Dispose();

    [Fact]
    public async Task Serve_leaves_the_bus_after_its_idle_time_and_exits_0()
    {
        var bus = StartBus();

        await using var serve = await ServeProcess.StartAsync(bus, Definitions(), "--exit-idle-time", "1");
        var exit = await serve.Process.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exit.ExitCode);
        Assert.Contains("Idle for 1 s; leaving the bus.", serve.Log, StringComparison.Ordinal);
        await using var probe = await BusConnection.ConnectAsync(bus.Address);
        Assert.False(await DBusTestTools.NameHasOwnerAsync(probe, "org.freedesktop.sysupdate1"));
    }

    [Fact]
    public async Task A_second_serve_on_the_same_bus_fails_because_the_name_is_taken()
    {
        var bus = StartBus();

        await using var first = await ServeProcess.StartAsync(bus, Definitions(), "--exit-idle-time", "0");
        var second = await ImageUpdateProcess.RunAsync(null, "--definitions", Definitions(), "serve", "--bus-address", bus.Address);

        Assert.Equal(1, second.ExitCode);
        Assert.Contains("org.freedesktop.sysupdate1 is owned by another program", second.Stderr, StringComparison.Ordinal);
        Assert.False(first.Process.HasExited);
    }

    [Fact]
    public async Task SIGTERM_stops_serve_and_gives_the_name_back()
    {
        var bus = StartBus();

        var serve = await ServeProcess.StartAsync(bus, Definitions(), "--exit-idle-time", "0");
        await serve.DisposeAsync();

        Assert.Contains("Stopping on request.", serve.Log, StringComparison.Ordinal);
        await using var probe = await BusConnection.ConnectAsync(bus.Address);
        Assert.True(await Eventually.TrueAsync(async () => !await DBusTestTools.NameHasOwnerAsync(probe, "org.freedesktop.sysupdate1")));
    }

    /// <summary>A private system-like bus, once dbus-daemon and root (the shipped policy lets only root own the name) are there.</summary>
    private ServiceBus StartBus()
    {
        DBusTestTools.RequireDaemon();
        TestEnvironment.Require(TestEnvironment.IsRoot, "serve needs uid 0 to own its name under the shipped policy");
        return _bus = new ServiceBus();
    }

    private string Definitions()
    {
        var definitions = Directory.CreateDirectory(_bus!.Directory["defs"]).FullName;
        Directory.CreateDirectory(_bus.Directory["source"]);
        File.WriteAllText(Path.Combine(definitions, "app.transfer"), $"""
            [Source]
            Type=regular-file
            Path={_bus.Directory["source"]}
            MatchPattern=app_@v.bin

            [Target]
            Type=regular-file
            Path={_bus.Directory["target"]}
            MatchPattern=app_@v.bin
            """);
        return definitions;
    }
}
