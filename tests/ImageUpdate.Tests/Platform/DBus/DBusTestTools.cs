using ImageUpdate.Platform.DBus;
using ImageUpdate.Tests.Support;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>
/// The oracles of the D-Bus tests: dbus-daemon, busctl and a python3 that can import dbus and gi
/// (python3-dbus, an independent implementation). A missing one skips a test saying which, except
/// under CI=true, where .ci/install-deps installs them and it is a failure (<see cref="TestEnvironment"/>).
/// </summary>
internal static class DBusTestTools
{
    private static readonly Lazy<string?> Python = new(FindPython);

    /// <summary>A python3 with the dbus and gi modules (pyenv shims on PATH may lack the Debian ones).</summary>
    public static string? PythonWithDBus => Python.Value;

    public static void RequireDaemon() => TestEnvironment.Require(Find("dbus-daemon") is not null, "'dbus-daemon' is not installed (apt-get install dbus)");

    public static void RequirePython()
    {
        RequireDaemon();
        TestEnvironment.Require(PythonWithDBus is not null, "no python3 can import dbus and gi (apt-get install python3-dbus python3-gi)");
    }

    public static void RequireBusctl()
    {
        RequireDaemon();
        TestEnvironment.Require(Find("busctl") is not null, "'busctl' is not installed (apt-get install systemd)");
    }

    public static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);

    /// <summary>Runs a program to completion with an argument list and a timeout; returns exit code, stdout, stderr.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string program, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var result = TestProcess.Run(program, arguments, timeout: timeout ?? TimeSpan.FromSeconds(30));
        return (result.ExitCode, result.Stdout, result.Stderr);
    }

    /// <summary>The bus driver's NameHasOwner (the adapter wraps only what the engine needs).</summary>
    public static Task<bool> NameHasOwnerAsync(BusConnection connection, string name) =>
        connection.CallAsync(
            new DBusCall("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s", (ref MessageWriter w) => w.WriteString(name)),
            static (m, _) => BusConnection.ReadSingle(m, "b", "NameHasOwner").ReadBool());

    /// <summary>The bus driver's GetNameOwner.</summary>
    public static Task<string> GetNameOwnerAsync(BusConnection connection, string name) =>
        connection.CallAsync(
            new DBusCall("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner", "s", (ref MessageWriter w) => w.WriteString(name)),
            static (m, _) => BusConnection.ReadSingle(m, "s", "GetNameOwner").ReadString());

    private static string? FindPython()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", Find("python3") })
        {
            if (candidate is null || !File.Exists(candidate))
            {
                continue;
            }

            try
            {
                if (Run(candidate, ["-c", "import dbus, dbus.mainloop.glib; from gi.repository import GLib"], TimeSpan.FromSeconds(20)).ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }

        return null;
    }
}
