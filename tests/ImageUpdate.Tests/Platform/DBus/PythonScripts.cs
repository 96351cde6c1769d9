namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>
/// The python3-dbus programs the interoperability tests run: an independent D-Bus implementation
/// (libdbus underneath) on the other end of every call. Each takes the bus address as argv[1].
/// </summary>
internal static class PythonScripts
{
    /// <summary>A service at org.example.PyService /org/example/PyService; prints "ready" once it owns its name.</summary>
    public const string Service = """
        import os, sys, time
        import dbus, dbus.service, dbus.mainloop.glib
        from gi.repository import GLib

        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        bus = dbus.bus.BusConnection(sys.argv[1])
        IFACE = "org.example.PyService"

        class Service(dbus.service.Object):
            @dbus.service.method(IFACE, in_signature="s", out_signature="h")
            def OpenPipe(self, text):
                r, w = os.pipe()
                os.write(w, text.encode())
                os.close(w)
                fd = dbus.types.UnixFd(r)
                os.close(r)
                return fd

            @dbus.service.method(IFACE, in_signature="h", out_signature="s")
            def ReadFd(self, fd):
                with os.fdopen(fd.take(), "rb") as stream:
                    return stream.read().decode()

            @dbus.service.method(IFACE, in_signature="as", out_signature="a(ssssssouso)")
            def ListUnitsFiltered(self, states):
                units = [
                    ("a.service", "A", "loaded", "failed", "failed", "", dbus.ObjectPath("/org/freedesktop/systemd1/unit/a_2eservice"), dbus.UInt32(0), "", dbus.ObjectPath("/")),
                    ("b.service", "B", "loaded", "active", "running", "", dbus.ObjectPath("/org/freedesktop/systemd1/unit/b_2eservice"), dbus.UInt32(3), "start", dbus.ObjectPath("/org/freedesktop/systemd1/job/3")),
                ]
                return [u for u in units if not states or u[3] in states]

            @dbus.service.method(IFACE, in_signature="", out_signature="a{sa(ib)}vay")
            def GetComplex(self):
                return ({"k": [(dbus.Int32(-1), True), (dbus.Int32(2), False)]},
                        dbus.Struct((dbus.Int64(-5), dbus.Double(2.5)), signature="xd", variant_level=1),
                        dbus.ByteArray(b"\x00\xff"))

            @dbus.service.method(IFACE, in_signature="a{sv}(yqnut)", out_signature="s")
            def Describe(self, dictionary, numbers):
                parts = ["%s=%s:%s" % (k, v.signature if hasattr(v, "signature") else type(v).__name__, v) for k, v in sorted(dictionary.items())]
                parts.append(",".join(str(int(n)) for n in numbers))
                return ";".join(parts)

            # logind's Inhibit: the caller gets the write end of a pipe and holds the lock until every
            # copy of it is closed, which the service sees as end of file on the read end.
            @dbus.service.method(IFACE, in_signature="ssss", out_signature="h")
            def Inhibit(self, what, who, why, mode):
                r, w = os.pipe()
                os.set_blocking(r, False)
                self.inhibitor = r
                fd = dbus.types.UnixFd(w)
                os.close(w)
                return fd

            # The same, answered after the caller has stopped waiting.
            @dbus.service.method(IFACE, in_signature="ssss", out_signature="h")
            def SlowInhibit(self, what, who, why, mode):
                time.sleep(1)
                return self.Inhibit(what, who, why, mode)

            @dbus.service.method(IFACE, in_signature="", out_signature="b")
            def InhibitorReleased(self):
                try:
                    return os.read(self.inhibitor, 1) == b""
                except BlockingIOError:
                    return False

            @dbus.service.method(IFACE, in_signature="", out_signature="")
            def Fail(self):
                raise dbus.exceptions.DBusException("it failed", name="org.example.Error.Failed")

            @dbus.service.signal(IFACE, signature="su")
            def Progressed(self, what, percent):
                pass

            @dbus.service.method(IFACE, in_signature="u", out_signature="")
            def Emit(self, percent):
                self.Progressed("step", percent)

        name = dbus.service.BusName("org.example.PyService", bus)
        service = Service(bus, "/org/example/PyService")
        print("ready", flush=True)
        GLib.MainLoop().run()
        """;

    /// <summary>Drives our exported org.example.Ours object (argv[2] is its bus name) and prints what it saw as JSON.</summary>
    public const string Client = """
        import json, os, sys
        import dbus, dbus.mainloop.glib
        from gi.repository import GLib

        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        bus = dbus.bus.BusConnection(sys.argv[1])
        IFACE = "org.example.Ours"
        obj = bus.get_object(sys.argv[2], "/org/example/Ours")
        ours = dbus.Interface(obj, IFACE)
        props = dbus.Interface(obj, "org.freedesktop.DBus.Properties")
        out = {}
        out["add"] = int(ours.Add(2, 3))
        out["whoami"] = int(ours.WhoAmI()) == os.getuid()
        out["version"] = str(props.Get(IFACE, "Version"))
        out["all"] = sorted(str(k) for k in props.GetAll(IFACE).keys())
        out["counter"] = int(props.Get(IFACE, "Counter"))
        for name, call in [("set_readonly", lambda: props.Set(IFACE, "Version", "x")),
                           ("refuse", lambda: ours.Refuse()),
                           ("bad_args", lambda: bus.call_blocking(sys.argv[2], "/org/example/Ours", IFACE, "Add", "s", ["x"])),
                           ("no_method", lambda: ours.Missing()),
                           ("no_object", lambda: bus.get_object(sys.argv[2], "/nowhere").Ping(dbus_interface="org.freedesktop.DBus.Properties"))]:
            try:
                call()
                out[name] = None
            except dbus.exceptions.DBusException as e:
                out[name] = [e.get_dbus_name(), e.get_dbus_message()]
        with os.fdopen(ours.OpenFile().take(), "rb") as f:
            out["fd"] = f.read().decode()
        r, w = os.pipe()
        os.write(w, b"from python")
        os.close(w)
        out["sent_fd"] = str(ours.ReadFd(dbus.types.UnixFd(r)))
        os.close(r)
        xml = obj.Introspect(dbus_interface="org.freedesktop.DBus.Introspectable")
        out["introspect"] = ['interface name="org.example.Ours"' in xml, '<method name="Add">' in xml, '<property name="Counter" type="u" access="read"/>' in xml, '<signal name="Ticked">' in xml]
        out["root_children"] = 'name="org"' in bus.get_object(sys.argv[2], "/").Introspect(dbus_interface="org.freedesktop.DBus.Introspectable")
        obj.Ping(dbus_interface="org.freedesktop.DBus.Peer")
        loop = GLib.MainLoop()
        signals = []
        def on_tick(*args):
            signals.append(["Ticked"] + [str(a) for a in args])
            loop.quit()
        def on_changed(iface, changed, invalidated):
            signals.append(["PropertiesChanged", str(iface)] + ["%s=%d" % (k, v) for k, v in changed.items()])
        bus.add_signal_receiver(on_tick, signal_name="Ticked", dbus_interface=IFACE, path="/org/example/Ours")
        bus.add_signal_receiver(on_changed, signal_name="PropertiesChanged", dbus_interface="org.freedesktop.DBus.Properties", path="/org/example/Ours")
        ours.Tick("now", reply_handler=lambda: None, error_handler=lambda e: loop.quit())
        GLib.timeout_add_seconds(10, loop.quit)
        loop.run()
        out["signals"] = signals
        print(json.dumps(out), flush=True)
        """;
}
