using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Systemd.Service;

/// <summary>
/// A dbus-daemon of the test's own, configured like the system bus (method calls denied unless a
/// policy allows them) with the shipped dbus/org.freedesktop.sysupdate1.conf included, so the tests
/// also check that policy. Its directory is world-readable so a test can call as uid 65534. Killed on dispose.
/// </summary>
internal sealed class ServiceBus : IDisposable
{
    private readonly Platform.DBus.PrivateBus _bus = new("system", $"""
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
        """, worldReadable: true);

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

    public TempDirectory Directory => _bus.Directory;

    public string Address => _bus.Address;

    public void Dispose() => _bus.Dispose();
}
