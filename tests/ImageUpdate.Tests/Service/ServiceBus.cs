using System.Diagnostics;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Service;

/// <summary>
/// A dbus-daemon of the test's own, configured like the system bus (method calls denied unless a
/// policy allows them) with the shipped dbus/org.freedesktop.sysupdate1.conf included, so the tests
/// also check that policy. Its directory is world-readable so a test can call as uid 65534. Killed on dispose.
/// </summary>
internal sealed class ServiceBus : IDisposable
{
    private readonly Process _daemon;

    public ServiceBus()
    {
        Directory = new TempDirectory("image-update-serve-");
        File.SetUnixFileMode(Directory.Path, (UnixFileMode)0b111_101_101);
        var config = Directory["bus.conf"];
        File.WriteAllText(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>system</type>
              <listen>unix:path={Directory["bus.socket"]}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow user="*"/>
                <deny own="*"/>
                <deny send_type="method_call"/>
                <allow send_type="signal"/>
                <allow send_requested_reply="true" send_type="method_return"/>
                <allow send_requested_reply="true" send_type="error"/>
                <allow receive_type="method_call"/>
                <allow receive_type="method_return"/>
                <allow receive_type="error"/>
                <allow receive_type="signal"/>
                <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
                <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
              </policy>
              <include>{ShippedPolicy}</include>
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

    /// <summary>The repository's dbus/org.freedesktop.sysupdate1.conf.</summary>
    public static string ShippedPolicy => Path.Combine(RepositoryRoot, "dbus", "org.freedesktop.sysupdate1.conf");

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ImageUpdate.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new FileNotFoundException($"ImageUpdate.sln not found above {AppContext.BaseDirectory}");
        }
    }

    public TempDirectory Directory { get; }

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
