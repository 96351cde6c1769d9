namespace ImageUpdate.Platform.DBus;

/// <summary>What an exported method handler gets: the call, who sent it, and the connection to make further calls on (e.g. GetConnectionUnixUser of the sender).</summary>
public sealed record DBusMethodContext(DBusConnection Connection, DBusMessage Message)
{
    /// <summary>The caller's unique bus name (null on a peer-to-peer connection).</summary>
    public string? Sender => Message.Sender;

    public IReadOnlyList<object> Body => Message.Body;
}
