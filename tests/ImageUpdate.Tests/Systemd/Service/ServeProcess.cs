using System.Diagnostics;
using System.Text;
using ImageUpdate.Platform.DBus;
using ImageUpdate.Tests.Platform.DBus;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Systemd.Service;

/// <summary>The real `image-update --definitions DIR serve --bus-address ADDRESS` as a process; SIGTERM then kill on dispose.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServeProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_log)
            {
                _log.AppendLine(e.Data);
            }
        };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public Process Process => _process;

    /// <summary>Starts the service and waits until it owns org.freedesktop.sysupdate1.</summary>
    public static Task<ServeProcess> StartAsync(ServiceBus bus, string definitions, params string[] extra) =>
        StartWithOptionsAsync(bus, ["--definitions", definitions], extra);

    /// <summary>Starts `image-update OPTIONS serve --bus-address ADDRESS EXTRA` and waits until it owns its name.</summary>
    public static async Task<ServeProcess> StartWithOptionsAsync(ServiceBus bus, IReadOnlyList<string> options, params string[] extra)
    {
        var start = new ProcessStartInfo(ImageUpdateProcess.ProgramPath) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in options.Concat(["serve", "--bus-address", bus.Address]).Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["IMAGE_UPDATE_LOCK_PATH"] = bus.Directory["image-update.lock"];
        var serve = new ServeProcess(Process.Start(start)!);
        await using var probe = await DBusConnection.ConnectAsync(bus.Address);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await probe.NameHasOwnerAsync("org.freedesktop.sysupdate1"))
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
        try
        {
            if (!_process.HasExited)
            {
                // SIGTERM, as systemd stops the unit (Process.Kill would be SIGKILL).
                DBusTestTools.Run("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await _process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill();
                    await _process.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
