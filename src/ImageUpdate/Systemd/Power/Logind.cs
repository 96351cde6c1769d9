using ImageUpdate.Platform.DBus;
using Microsoft.Win32.SafeHandles;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Systemd.Power;

/// <summary>
/// The two calls image-update makes to systemd-logind's org.freedesktop.login1.Manager
/// (org.freedesktop.login1(5)): Reboot and Inhibit.
/// </summary>
public static class Logind
{
    public const string Service = "org.freedesktop.login1";
    public const string ManagerPath = "/org/freedesktop/login1";
    public const string ManagerInterface = "org.freedesktop.login1.Manager";

    /// <summary>Reboot(b interactive): interactive=false, since no one is there to answer a polkit prompt.</summary>
    public static Task RebootAsync(BusConnection connection, CancellationToken cancellationToken) =>
        connection.CallAsync(new DBusCall(Service, ManagerPath, ManagerInterface, "Reboot", "b", (ref MessageWriter w) => w.WriteBool(false)), cancellationToken);

    /// <summary>
    /// Inhibit(s what, s who, s why, s mode) → h: the lock lasts as long as the returned fd (every copy
    /// of it) stays open; the caller owns the handle and closes it to release.
    /// </summary>
    public static Task<SafeFileHandle> InhibitAsync(BusConnection connection, string what, string who, string why, string mode, CancellationToken cancellationToken) =>
        connection.CallAsync(
            new DBusCall(Service, ManagerPath, ManagerInterface, "Inhibit", "ssss", (ref MessageWriter w) =>
            {
                w.WriteString(what);
                w.WriteString(who);
                w.WriteString(why);
                w.WriteString(mode);
            }),
            static (message, _) => BusConnection.ReadSingle(message, "h", "Inhibit", "logind").ReadHandle<SafeFileHandle>(),
            cancellationToken);

    /// <summary>
    /// Whether an error means "nobody there to ask" (no such service, object or method, no reply, a
    /// dropped connection) rather than "logind said no": only the former is worth a fallback.
    /// </summary>
    public static bool MeansUnreachable(DBusException e) => e is not DBusErrorException error || error.ErrorName is
        "org.freedesktop.DBus.Error.ServiceUnknown" or
        "org.freedesktop.DBus.Error.NameHasNoOwner" or
        "org.freedesktop.DBus.Error.UnknownObject" or
        "org.freedesktop.DBus.Error.UnknownInterface" or
        "org.freedesktop.DBus.Error.UnknownMethod" or
        "org.freedesktop.DBus.Error.NoReply" or
        "org.freedesktop.DBus.Error.Disconnected" or
        "org.freedesktop.DBus.Error.TimedOut" ||
        error.ErrorName.StartsWith("org.freedesktop.DBus.Error.Spawn.", StringComparison.Ordinal);
}
