namespace ImageUpdate.Platform.DBus;

/// <summary>
/// Bytes or values that break the D-Bus Specification 0.41 (a bad signature, a length past a limit,
/// a misplaced padding byte, an invalid name): raised before anything is read past the fault.
/// </summary>
public sealed class DBusProtocolException : DBusException
{
    public DBusProtocolException(string message) : base(message) { }
}
