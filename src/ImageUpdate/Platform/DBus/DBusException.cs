using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// A D-Bus failure of the transport itself: no bus to connect to, authentication refused, the
/// connection closed under a pending call. Malformed bytes are <see cref="DBusProtocolException"/>,
/// error replies from a peer are <see cref="DBusErrorException"/>.
/// </summary>
public class DBusException : ImageUpdateException
{
    public DBusException(string message) : base(message) { }

    public DBusException(string message, Exception inner) : base(message, inner) { }
}
