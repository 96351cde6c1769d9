using ImageUpdate.Foundation.Errors;
using ImageUpdate.Systemd.Power;
using ImageUpdate.Tests.Platform.DBus;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Systemd.Power;

/// <summary>Our logind calls against a fake logind on a private system bus.</summary>
public sealed class LogindTests
{
    [Fact]
    public async Task Rebooter_asks_logind_to_reboot_without_interaction()
    {
        DBusTestTools.RequirePython();

        using var fake = await FakeSystemServices.StartAsync();

        await new Rebooter(NullLogger.Instance, fake.Bus.Address, () => true).RebootAsync(CancellationToken.None);

        Assert.Equal(["interactive=False"], fake.Record("reboot"));
    }

    [Fact]
    public async Task A_refusal_from_logind_is_an_error_not_a_fallback()
    {
        DBusTestTools.RequirePython();

        using var fake = FakeSystemServices.StartBusOnly();
        using var service = new PythonProcess(fake.Bus, "refusing-logind", RefusingLogind);
        Assert.Equal("ready", await service.ReadLineAsync(TimeSpan.FromSeconds(30)));

        var e = await Assert.ThrowsAsync<UpdateException>(() => new Rebooter(NullLogger.Instance, fake.Bus.Address, () => true).RebootAsync(CancellationToken.None));

        Assert.Contains("logind refused to reboot", e.Message);
        Assert.Contains("org.freedesktop.DBus.Error.AccessDenied", e.Message);
    }

    [Fact]
    public async Task The_inhibitor_is_held_until_disposed()
    {
        DBusTestTools.RequirePython();

        using var fake = await FakeSystemServices.StartAsync();
        var inhibitor = new LogindShutdownInhibitor(NullLogger.Instance, fake.Bus.Address);

        var held = await inhibitor.InhibitAsync("Writing an update", CancellationToken.None);
        Assert.Equal(["shutdown:sleep|image-update|Writing an update|block"], fake.Record("inhibit"));
        Assert.False(await fake.WaitForRecordAsync("released", TimeSpan.FromMilliseconds(500)));

        held.Dispose();
        Assert.True(await fake.WaitForRecordAsync("released", TimeSpan.FromSeconds(10)));
        held.Dispose();
    }

    [Fact]
    public async Task Without_a_bus_or_logind_the_inhibitor_holds_nothing_and_does_not_throw()
    {
        DBusTestTools.RequireDaemon();

        using var empty = FakeSystemServices.StartBusOnly();
        foreach (var address in new[] { "unix:path=/nonexistent/bus", empty.Bus.Address })
        {
            using var held = await new LogindShutdownInhibitor(NullLogger.Instance, address).InhibitAsync("Writing an update", CancellationToken.None);
            Assert.NotNull(held);
        }
    }

    /// <summary>A logind that says no, as polkit would for an unprivileged caller.</summary>
    private const string RefusingLogind = """
        import sys
        import dbus, dbus.service, dbus.mainloop.glib
        from gi.repository import GLib

        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        bus = dbus.bus.BusConnection(sys.argv[1])

        class Login1(dbus.service.Object):
            @dbus.service.method("org.freedesktop.login1.Manager", in_signature="b", out_signature="")
            def Reboot(self, interactive):
                raise dbus.exceptions.DBusException("Access denied", name="org.freedesktop.DBus.Error.AccessDenied")

        name = dbus.service.BusName("org.freedesktop.login1", bus)
        Login1(bus, "/org/freedesktop/login1")
        print("ready", flush=True)
        GLib.MainLoop().run()
        """;
}
