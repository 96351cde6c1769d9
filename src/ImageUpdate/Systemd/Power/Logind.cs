using ImageUpdate.Platform.DBus;

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
    public static async Task RebootAsync(DBusConnection connection, CancellationToken cancellationToken)
    {
        var reply = await connection.CallAsync(
            DBusMessage.MethodCall(Service, new ObjectPath(ManagerPath), ManagerInterface, "Reboot", new DBusSignature("b"), [false]),
            cancellationToken).ConfigureAwait(false);
        reply.DisposeUnixFds();
    }

    /// <summary>
    /// Inhibit(s what, s who, s why, s mode) → h: the lock lasts as long as the returned fd (every copy
    /// of it) stays open; the caller owns the handle and closes it to release.
    /// </summary>
    public static async Task<UnixFdHandle> InhibitAsync(DBusConnection connection, string what, string who, string why, string mode, CancellationToken cancellationToken)
    {
        var reply = await connection.CallAsync(
            DBusMessage.MethodCall(Service, new ObjectPath(ManagerPath), ManagerInterface, "Inhibit", new DBusSignature("ssss"), [what, who, why, mode]),
            cancellationToken).ConfigureAwait(false);
        if (reply.Body is [UnixFdHandle fd])
        {
            return fd;
        }

        reply.DisposeUnixFds();
        throw new DBusProtocolException($"logind answered Inhibit with signature '{Foundation.Errors.UntrustedText.Escape(reply.Signature.Value)}', not 'h'.");
    }

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
