namespace ImageUpdate.Platform.DBus;

/// <summary>
/// One D-Bus message: the header fields of D-Bus Specification 0.41 §Message Format and the body as
/// CLR values (see <see cref="MessageWriter"/> for the forms). Received messages also own the unix
/// fds that came with them; take the ones you need from the body ('h' values) and dispose the rest,
/// or leave them to the finalizer. Encoding lives in DBusMessage.Encoding.cs.
/// </summary>
public sealed partial record DBusMessage
{
    public MessageType Type { get; init; }

    public MessageFlags Flags { get; init; }

    /// <summary>Set by the connection when sending; nonzero in every received message.</summary>
    public uint Serial { get; init; }

    public ObjectPath? Path { get; init; }

    public string? Interface { get; init; }

    public string? Member { get; init; }

    public string? ErrorName { get; init; }

    public uint? ReplySerial { get; init; }

    public string? Destination { get; init; }

    public string? Sender { get; init; }

    public DBusSignature Signature { get; init; } = DBusSignature.Empty;

    public IReadOnlyList<object> Body { get; init; } = [];

    /// <summary>The fds received with this message, in wire order (empty for messages built locally).</summary>
    public IReadOnlyList<UnixFdHandle> UnixFds { get; init; } = [];

    public static DBusMessage MethodCall(string? destination, ObjectPath path, string? @interface, string member, DBusSignature signature = default, IReadOnlyList<object>? body = null) => new()
    {
        Type = MessageType.MethodCall,
        Destination = destination is null ? null : DBusNames.CheckBusName(destination),
        Path = path,
        Interface = @interface is null ? null : DBusNames.CheckInterface(@interface),
        Member = DBusNames.CheckMember(member),
        Signature = signature,
        Body = body ?? [],
    };

    public static DBusMessage Signal(ObjectPath path, string @interface, string member, DBusSignature signature = default, IReadOnlyList<object>? body = null) => new()
    {
        Type = MessageType.Signal,
        Path = path,
        Interface = DBusNames.CheckInterface(@interface),
        Member = DBusNames.CheckMember(member),
        Signature = signature,
        Body = body ?? [],
    };

    /// <summary>A METHOD_RETURN to <paramref name="call"/>, addressed to its sender.</summary>
    public static DBusMessage ReturnFor(DBusMessage call, DBusSignature signature = default, IReadOnlyList<object>? body = null) => new()
    {
        Type = MessageType.MethodReturn,
        ReplySerial = call.Serial,
        Destination = call.Sender,
        Signature = signature,
        Body = body ?? [],
    };

    /// <summary>An ERROR reply to <paramref name="call"/>; the message becomes the body's one string.</summary>
    public static DBusMessage ErrorFor(DBusMessage call, string errorName, string? message) => new()
    {
        Type = MessageType.Error,
        ReplySerial = call.Serial,
        Destination = call.Sender,
        ErrorName = DBusNames.CheckErrorName(errorName),
        Signature = message is null ? DBusSignature.Empty : new DBusSignature("s"),
        Body = message is null ? [] : [message],
    };

    // Bodies are lists, not params arrays: a lone string[] argument ("as") would otherwise be taken
    // for the whole body by C#'s array covariance.

    /// <summary>The error this message carries as an exception (only for <see cref="MessageType.Error"/>).</summary>
    public DBusErrorException ToException() =>
        new(ErrorName ?? "org.freedesktop.DBus.Error.Failed", Body.Count > 0 && Signature.Value.StartsWith('s') ? (string)Body[0] : null);

    /// <summary>Closes every received fd no one has taken ownership of, e.g. of a reply whose fds are not wanted.</summary>
    public void DisposeUnixFds()
    {
        foreach (var fd in UnixFds)
        {
            fd.Dispose();
        }
    }
}
