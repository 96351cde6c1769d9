using ImageUpdate.Platform.DBus;
using ImageUpdate.Tests.Platform.DBus;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Systemd.Service;

/// <summary>The real `image-update --definitions DIR serve --bus-address ADDRESS` as a process; SIGTERM then kill on dispose.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly RunningProcess _process;

    private ServeProcess(RunningProcess process) => _process = process;

    /// <summary>What the service has written to stderr so far (all of it once it has ended).</summary>
    public string Log => _process.StderrSoFar;

    public RunningProcess Process => _process;

    /// <summary>Starts the service and waits until it owns org.freedesktop.sysupdate1.</summary>
    public static Task<ServeProcess> StartAsync(ServiceBus bus, string definitions, params string[] extra) =>
        StartWithOptionsAsync(bus, ["--definitions", definitions], extra);

    /// <summary>Starts `image-update OPTIONS serve --bus-address ADDRESS EXTRA` and waits until it owns its name.</summary>
    public static async Task<ServeProcess> StartWithOptionsAsync(ServiceBus bus, IReadOnlyList<string> options, params string[] extra)
    {
        var serve = new ServeProcess(TestProcess.Start(
            ImageUpdateProcess.ProgramPath,
            options.Concat(["serve", "--bus-address", bus.Address]).Concat(extra),
            new Dictionary<string, string?> { ["IMAGE_UPDATE_LOCK_PATH"] = bus.Directory["image-update.lock"] }));
        await using var probe = await BusConnection.ConnectAsync(bus.Address);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await DBusTestTools.NameHasOwnerAsync(probe, "org.freedesktop.sysupdate1"))
        {
            if (serve._process.HasExited || DateTime.UtcNow > deadline)
            {
                await serve.DisposeAsync();
                Assert.Fail($"image-update serve did not take its name; its log:\n{serve.Log}");
            }

            await Task.Delay(100);
        }

        return serve;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                // SIGTERM, as systemd stops the unit; past 20 s WaitAsync kills the process tree.
                _process.Signal(RunningProcess.SigTerm);
                await _process.WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (InvalidOperationException)
            {
                // Gone between the check and the signal.
            }
            catch (TimeoutException)
            {
                // Killed; disposing below reaps it.
            }
        }

        await _process.DisposeAsync();
    }
}
