using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>
/// A dbus-daemon of our own for one test: its config (made here) listens on a unix socket in a temp
/// directory and, unless a policy is given, allows everything, so tests need neither the system bus nor
/// root. Killed on dispose.
/// </summary>
internal sealed class PrivateBus : IDisposable
{
    private readonly RunningProcess _daemon;

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
        _daemon = TestProcess.Start("dbus-daemon", ["--config-file=" + config, "--print-address", "--nofork", "--nopidfile"]);
        string? line;
        try
        {
            line = _daemon.ReadStdoutLineAsync().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            line = null;
        }

        if (string.IsNullOrEmpty(line))
        {
            var error = _daemon.HasExited ? _daemon.WaitAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult().Stderr : "no address within 20 s";
            Dispose();
            throw new InvalidOperationException($"dbus-daemon did not start: {error}");
        }

        Address = line.Trim();
    }

    public TempDirectory Directory { get; }

    /// <summary>The address dbus-daemon printed, e.g. unix:path=/tmp/.../bus.socket,guid=...</summary>
    public string Address { get; }

    public void Dispose()
    {
        // Kills dbus-daemon (its process tree) if it still runs, and waits for it.
        _daemon.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Dispose();
    }
}
