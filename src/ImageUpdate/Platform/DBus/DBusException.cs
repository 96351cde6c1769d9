using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// A D-Bus failure of the transport itself: no bus to connect to, authentication refused, the
/// connection closed under a pending call, no answer in time. Malformed or wrongly typed replies are
/// <see cref="DBusProtocolException"/>, error replies from a peer are <see cref="DBusErrorException"/>.
/// Ours, not Tmds.DBus.Protocol's exceptions: it belongs to the <see cref="ImageUpdateException"/>
/// family, so the program prints it as one error line (<see cref="BusConnection"/> translates).
/// </summary>
public class DBusException : ImageUpdateException
{
    public DBusException(string message) : base(message) { }

    public DBusException(string message, Exception inner) : base(message, inner) { }
}
