using System.Diagnostics;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>
/// A dbus-daemon of our own for one test: its config (made here) listens on a unix socket in a temp
/// directory and, unless a policy is given, allows everything, so tests need neither the system bus nor
/// root. Killed on dispose.
/// </summary>
internal sealed class PrivateBus : IDisposable
{
    private readonly Process _daemon;

    /// <param name="type">The bus type dbus-daemon takes ("session" or "system").</param>
    /// <param name="policy">The config's policy elements; null: allow everything.</param>
    /// <param name="worldReadable">Let other users (a test calling as uid 65534) reach the socket.</param>
    public PrivateBus(string type = "session", string? policy = null, bool worldReadable = false)
    {
        Directory = new TempDirectory("image-update-dbus-");
        if (worldReadable)
        {
            File.SetUnixFileMode(Directory.Path, (UnixFileMode)0b111_101_101);
        }

        policy ??= """
            <policy context="default">
              <allow send_destination="*" eavesdrop="true"/>
              <allow eavesdrop="true"/>
              <allow own="*"/>
              <allow user="*"/>
            </policy>
            """;
        var config = Directory["bus.conf"];
        File.WriteAllText(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>{type}</type>
              <listen>unix:path={Directory["bus.socket"]}</listen>
              <auth>EXTERNAL</auth>
            {policy}
            </busconfig>
            """);
        var start = new ProcessStartInfo("dbus-daemon") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--config-file=" + config, "--print-address", "--nofork", "--nopidfile" })
        {
            start.ArgumentList.Add(argument);
        }

        _daemon = Process.Start(start)!;
        _daemon.ErrorDataReceived += (_, _) => { };
        var line = _daemon.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(20)) || string.IsNullOrEmpty(line.Result))
        {
            var error = _daemon.HasExited ? _daemon.StandardError.ReadToEnd() : "no address within 20 s";
            Dispose();
            throw new InvalidOperationException($"dbus-daemon did not start: {error}");
        }

        _daemon.BeginErrorReadLine();
        Address = line.Result.Trim();
    }

    public TempDirectory Directory { get; }

    /// <summary>The address dbus-daemon printed, e.g. unix:path=/tmp/.../bus.socket,guid=...</summary>
    public string Address { get; }

    public void Dispose()
    {
        try
        {
            if (!_daemon.HasExited)
            {
                _daemon.Kill();
                _daemon.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _daemon.Dispose();
        Directory.Dispose();
    }
}
