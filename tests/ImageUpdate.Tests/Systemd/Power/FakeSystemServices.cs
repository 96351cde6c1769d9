using ImageUpdate.Tests.Platform.DBus;

namespace ImageUpdate.Tests.Systemd.Power;

/// <summary>
/// A private system-type dbus-daemon with fake org.freedesktop.login1 and org.freedesktop.systemd1
/// services (python3-dbus, an independent D-Bus implementation) that record what they are asked in
/// files: "reboot" (one line per Reboot call), "inhibit" (what|who|why|mode) and "released" (once the
/// inhibitor fd's every copy is closed, seen as end of file on the pipe's read end). The fake systemd
/// lists the given units as failed. <see cref="Environment"/> points the real program at it, with a
/// fake `systemctl` first on PATH so a fallback can never reboot the test machine.
/// </summary>
internal sealed class FakeSystemServices : IDisposable
{
    private readonly PythonProcess? _services;

    private FakeSystemServices(PrivateBus bus, PythonProcess? services)
    {
        Bus = bus;
        _services = services;
        Directory.CreateDirectory(State);
        Directory.CreateDirectory(Bin);
        var systemctl = Path.Combine(Bin, "systemctl");
        File.WriteAllText(systemctl, $"#!/bin/sh\necho \"$*\" >> '{Path.Combine(State, "systemctl")}'\n");
        File.SetUnixFileMode(systemctl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public PrivateBus Bus { get; }

    public string State => Bus.Directory["state"];

    public string Bin => Bus.Directory["bin"];

    /// <summary>For the program: this bus as the system bus, systemd "running", the fake systemctl first on PATH.</summary>
    public Dictionary<string, string?> Environment => new()
    {
        ["DBUS_SYSTEM_BUS_ADDRESS"] = Bus.Address,
        ["IMAGE_UPDATE_TEST_SYSTEMD_RUNNING"] = "1",
        ["PATH"] = Bin + ":" + (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin"),
    };

    /// <summary>A bus with nobody on it: logind and systemd are "unreachable".</summary>
    public static FakeSystemServices StartBusOnly() => new(new PrivateBus("system"), null);

    /// <summary>Starts the bus and the fake services; the systemd fake reports <paramref name="failedUnits"/> as failed.</summary>
    public static async Task<FakeSystemServices> StartAsync(params string[] failedUnits)
    {
        var bus = new PrivateBus("system");
        var state = bus.Directory["state"];
        Directory.CreateDirectory(state);
        var services = new PythonProcess(bus, "fake-system-services", Script, state, string.Join(',', failedUnits));
        Assert.Equal("ready", await services.ReadLineAsync(TimeSpan.FromSeconds(30)));
        return new FakeSystemServices(bus, services);
    }

    /// <summary>
    /// Starts the bus and hostile logind and systemd fakes that record each call and then, by
    /// <paramref name="behaviour"/>: "wrong-types" answer with other types than the methods declare
    /// (Inhibit an 's', ListUnitsFiltered an 'as'), "hang-up" exit mid-call (the bus answers NoReply),
    /// "silent" never answer.
    /// </summary>
    public static async Task<FakeSystemServices> StartHostileAsync(string behaviour)
    {
        var bus = new PrivateBus("system");
        var state = bus.Directory["state"];
        Directory.CreateDirectory(state);
        var services = new PythonProcess(bus, "hostile-system-services", HostileScript, state, behaviour);
        Assert.Equal("ready", await services.ReadLineAsync(TimeSpan.FromSeconds(30)));
        return new FakeSystemServices(bus, services);
    }

    /// <summary>The lines a fake wrote to its record, or none when it was never called.</summary>
    public string[] Record(string name)
    {
        var path = Path.Combine(State, name);
        return File.Exists(path) ? File.ReadAllLines(path) : [];
    }

    /// <summary>Waits until the record exists (the fakes run in their own process), up to the timeout.</summary>
    public async Task<bool> WaitForRecordAsync(string name, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Record(name).Length > 0)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return Record(name).Length > 0;
    }

    public void Dispose()
    {
        _services?.Dispose();
        Bus.Dispose();
    }

    private const string Script = """
        import os, sys
        import dbus, dbus.service, dbus.mainloop.glib
        from gi.repository import GLib

        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        bus = dbus.bus.BusConnection(sys.argv[1])
        state = sys.argv[2]
        failed = [u for u in sys.argv[3].split(",") if u]

        def record(name, text):
            with open(os.path.join(state, name), "a") as f:
                f.write(text + "\n")

        class Login1(dbus.service.Object):
            @dbus.service.method("org.freedesktop.login1.Manager", in_signature="b", out_signature="")
            def Reboot(self, interactive):
                record("reboot", "interactive=%s" % bool(interactive))

            @dbus.service.method("org.freedesktop.login1.Manager", in_signature="ssss", out_signature="h")
            def Inhibit(self, what, who, why, mode):
                r, w = os.pipe()
                def on_event(fd, condition):
                    try:
                        if os.read(fd, 1) != b"":
                            return True
                    except OSError:
                        pass
                    record("released", "%s" % why)
                    os.close(fd)
                    return False
                GLib.io_add_watch(r, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_event)
                record("inhibit", "|".join([what, who, why, mode]))
                fd = dbus.types.UnixFd(w)
                os.close(w)
                return fd

        class Systemd1(dbus.service.Object):
            @dbus.service.method("org.freedesktop.systemd1.Manager", in_signature="as", out_signature="a(ssssssouso)")
            def ListUnitsFiltered(self, states):
                record("list-units", ",".join(states))
                return [(u, "A unit", "loaded", "failed", "failed", "", dbus.ObjectPath("/org/freedesktop/systemd1/unit/x"),
                         dbus.UInt32(0), "", dbus.ObjectPath("/")) for u in failed if "failed" in states]

        login1 = dbus.service.BusName("org.freedesktop.login1", bus)
        systemd1 = dbus.service.BusName("org.freedesktop.systemd1", bus)
        Login1(bus, "/org/freedesktop/login1")
        Systemd1(bus, "/org/freedesktop/systemd1")
        print("ready", flush=True)
        GLib.MainLoop().run()
        """;

    private const string HostileScript = """
        import os, sys
        import dbus, dbus.service, dbus.mainloop.glib
        from gi.repository import GLib

        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        bus = dbus.bus.BusConnection(sys.argv[1])
        state = sys.argv[2]
        behaviour = sys.argv[3]
        wrong = behaviour == "wrong-types"
        never_answered = []

        def act(name, ok, wrong_value):
            with open(os.path.join(state, name), "a") as f:
                f.write(behaviour + "\n")
            if wrong:
                ok(wrong_value)
            elif behaviour == "hang-up":
                os._exit(0)
            else:
                never_answered.append(ok)

        class Login1(dbus.service.Object):
            @dbus.service.method("org.freedesktop.login1.Manager", in_signature="ssss", out_signature="s" if wrong else "h", async_callbacks=("ok", "err"))
            def Inhibit(self, what, who, why, mode, ok, err):
                act("inhibit", ok, "not an fd")

        class Systemd1(dbus.service.Object):
            @dbus.service.method("org.freedesktop.systemd1.Manager", in_signature="as", out_signature="as" if wrong else "a(ssssssouso)", async_callbacks=("ok", "err"))
            def ListUnitsFiltered(self, states, ok, err):
                act("list-units", ok, ["a.service"])

        login1 = dbus.service.BusName("org.freedesktop.login1", bus)
        systemd1 = dbus.service.BusName("org.freedesktop.systemd1", bus)
        Login1(bus, "/org/freedesktop/login1")
        Systemd1(bus, "/org/freedesktop/systemd1")
        print("ready", flush=True)
        GLib.MainLoop().run()
        """;
}
