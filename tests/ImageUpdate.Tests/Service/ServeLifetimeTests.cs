using ImageUpdate.DBus;
using ImageUpdate.Tests.DBus;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Service;

/// <summary>When `serve` leaves: after its idle time (releasing the name first), on SIGTERM, and at once when the name is taken.</summary>
public sealed class ServeLifetimeTests(ITestOutputHelper output) : IDisposable
{
    private readonly ServiceBus? _bus = DBusTestTools.RequireDaemon(output) && IsRoot(output) ? new ServiceBus() : null;

    public void Dispose() => _bus?.Dispose();

    [Fact]
    public async Task Serve_leaves_the_bus_after_its_idle_time_and_exits_0()
    {
        if (_bus is null)
        {
            return;
        }

        await using var serve = await ServeProcess.StartAsync(_bus, Definitions(), "--exit-idle-time", "1");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await serve.Process.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, serve.Process.ExitCode);
        Assert.Contains("Idle for 1 s; leaving the bus.", serve.Log, StringComparison.Ordinal);
        await using var probe = await DBusConnection.ConnectAsync(_bus.Address);
        Assert.False(await probe.NameHasOwnerAsync("org.freedesktop.sysupdate1"));
    }

    [Fact]
    public async Task A_second_serve_on_the_same_bus_fails_because_the_name_is_taken()
    {
        if (_bus is null)
        {
            return;
        }

        await using var first = await ServeProcess.StartAsync(_bus, Definitions(), "--exit-idle-time", "0");
        var second = await ImageUpdateProcess.RunAsync(null, "--definitions", Definitions(), "serve", "--bus-address", _bus.Address);

        Assert.Equal(1, second.ExitCode);
        Assert.Contains("org.freedesktop.sysupdate1 is owned by another program", second.Stderr, StringComparison.Ordinal);
        Assert.False(first.Process.HasExited);
    }

    [Fact]
    public async Task SIGTERM_stops_serve_and_gives_the_name_back()
    {
        if (_bus is null)
        {
            return;
        }

        var serve = await ServeProcess.StartAsync(_bus, Definitions(), "--exit-idle-time", "0");
        await serve.DisposeAsync();

        Assert.Contains("Stopping on request.", serve.Log, StringComparison.Ordinal);
        await using var probe = await DBusConnection.ConnectAsync(_bus.Address);
        Assert.False(await probe.NameHasOwnerAsync("org.freedesktop.sysupdate1"));
    }

    private static bool IsRoot(ITestOutputHelper output)
    {
        // The shipped policy lets only root own org.freedesktop.sysupdate1.
        _ = output;
        TestEnvironment.Require(TestEnvironment.IsRoot, "serve needs uid 0 to own its name under the shipped policy");
        return true;
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
