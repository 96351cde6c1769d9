namespace ImageUpdate.Platform.DBus;

/// <summary>
/// A peer answered with something the caller cannot use: a reply of other types than the method
/// declares, or bytes Tmds.DBus.Protocol could not read. Ours (as the whole <see cref="DBusException"/>
/// family) so that a hostile or broken peer ends in one typed error line, never an untyped exception.
/// </summary>
public sealed class DBusProtocolException : DBusException
{
    public DBusProtocolException(string message) : base(message) { }

    public DBusProtocolException(string message, Exception inner) : base(message, inner) { }
}
