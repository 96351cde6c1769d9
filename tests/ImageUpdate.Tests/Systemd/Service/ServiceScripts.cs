namespace ImageUpdate.Tests.Systemd.Service;

/// <summary>
/// python3-dbus clients of org.freedesktop.sysupdate1 (an independent D-Bus implementation, as a
/// software centre would use). Each takes the bus address as argv[1], prints one line per fact and exits.
/// </summary>
internal static class ServiceScripts
{
    private const string Prelude = """
        import sys
        import dbus, dbus.mainloop.glib
        from gi.repository import GLib

        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        bus = dbus.bus.BusConnection(sys.argv[1])
        NAME = "org.freedesktop.sysupdate1"
        TARGET = "org.freedesktop.sysupdate1.Target"
        JOB = "org.freedesktop.sysupdate1.Job"
        MANAGER = "org.freedesktop.sysupdate1.Manager"
        target = dbus.Interface(bus.get_object(NAME, "/org/freedesktop/sysupdate1/target/host"), TARGET)
        manager = dbus.Interface(bus.get_object(NAME, "/org/freedesktop/sysupdate1"), MANAGER)
        loop = GLib.MainLoop()
        removed = {}
        progress = []

        def on_properties(interface, changed, invalidated, path=None):
            if interface == JOB and "Progress" in changed:
                progress.append(int(changed["Progress"]))

        def on_removed(job_id, path, status):
            removed[int(job_id)] = int(status)
            loop.quit()

        bus.add_signal_receiver(on_properties, "PropertiesChanged", "org.freedesktop.DBus.Properties", NAME, None, path_keyword="path")
        bus.add_signal_receiver(on_removed, "JobRemoved", MANAGER, NAME, "/org/freedesktop/sysupdate1")

        def wait_removed(job_id):
            if job_id not in removed:
                GLib.timeout_add_seconds(60, loop.quit)
                loop.run()
            return removed.get(job_id)

        """;

    /// <summary>
    /// Update to the newest version: prints "update VERSION ID PATH", "progress P1 P2 ...", "removed STATUS",
    /// then "cancel ERROR" and "get ERROR" for Cancel and Properties.Get on the finished job's path.
    /// </summary>
    public const string Update = Prelude + """
        version, job_id, job_path = target.Update("", dbus.UInt64(0))
        print("update", version, int(job_id), job_path, flush=True)
        status = wait_removed(int(job_id))
        print("progress", " ".join(str(p) for p in progress), flush=True)
        print("removed", status, flush=True)
        job = bus.get_object(NAME, job_path)
        for name, call in (("cancel", lambda: job.Cancel(dbus_interface=JOB)), ("get", lambda: job.Get(JOB, "Progress", dbus_interface="org.freedesktop.DBus.Properties"))):
            try:
                call()
                print(name, "answered", flush=True)
            except dbus.DBusException as e:
                print(name, e.get_dbus_name(), e.get_dbus_message(), flush=True)
        """;

    /// <summary>Reads as anyone may, then tries to write: prints "list ...", "checknew V", "update ERROR", "vacuum ERROR".</summary>
    public const string ReadThenWrite = Prelude + """
        print("list", ",".join(target.List(dbus.UInt64(0))), flush=True)
        print("checknew", target.CheckNew(), flush=True)
        for name, call in (("update", lambda: target.Update("", dbus.UInt64(0))), ("vacuum", lambda: target.Vacuum())):
            try:
                call()
                print(name, "allowed", flush=True)
            except dbus.DBusException as e:
                print(name, e.get_dbus_name(), e.get_dbus_message(), flush=True)
        """;

    /// <summary>
    /// Starts an update whose download hangs, asks for a second one, lists jobs, cancels the first:
    /// prints "update ID", "second ERROR", "feature ERROR" (a feature switch meanwhile), "jobs TYPE:ID ...",
    /// "type T", "removed STATUS".
    /// </summary>
    public const string BusyThenCancel = Prelude + """
        version, job_id, job_path = target.Update("", dbus.UInt64(0))
        print("update", int(job_id), flush=True)
        try:
            target.Update("", dbus.UInt64(0))
            print("second allowed", flush=True)
        except dbus.DBusException as e:
            print("second", e.get_dbus_name(), flush=True)
        try:
            target.SetFeatureEnabled("extra", dbus.Int32(1), dbus.UInt64(0))
            print("feature allowed", flush=True)
        except dbus.DBusException as e:
            print("feature", e.get_dbus_name(), flush=True)
        print("jobs", " ".join("%s:%d" % (t, int(i)) for (i, t, p, o) in manager.ListJobs()), flush=True)
        job = bus.get_object(NAME, job_path)
        print("type", job.Get(JOB, "Type", dbus_interface="org.freedesktop.DBus.Properties"), flush=True)
        job.Cancel(dbus_interface=JOB)
        print("removed", wait_removed(int(job_id)), flush=True)
        """;

    /// <summary>Prints "describe JSON" for version 2, then "update-installed ERROR" for Update("1").</summary>
    public const string DescribeAndNoCandidate = Prelude + """
        print("describe", target.Describe("2", dbus.UInt64(0)), flush=True)
        try:
            target.Update("1", dbus.UInt64(0))
            print("update-installed allowed", flush=True)
        except dbus.DBusException as e:
            print("update-installed", e.get_dbus_name(), flush=True)
        """;

    /// <summary>
    /// argv[2] is the drop-in path: prints "features ...", "describe JSON", then after
    /// SetFeatureEnabled(1), (0) and (-1) the drop-in's Enabled= line or "absent".
    /// </summary>
    public const string Features = Prelude + """
        import os
        def drop_in():
            if not os.path.exists(sys.argv[2]):
                return "absent"
            return [l for l in open(sys.argv[2]).read().splitlines() if l.startswith("Enabled=")][0]
        print("features", " ".join(target.ListFeatures(dbus.UInt64(0))), flush=True)
        print("describe", target.DescribeFeature("extra", dbus.UInt64(0)), flush=True)
        for enabled in (1, 0, -1):
            target.SetFeatureEnabled("extra", dbus.Int32(enabled), dbus.UInt64(0))
            print("set", enabled, drop_in(), flush=True)
        """;
}
