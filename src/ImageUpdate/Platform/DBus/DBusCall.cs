namespace ImageUpdate.Platform.DBus;

/// <summary>
/// A method call as <see cref="BusConnection.CallAsync{T}"/> sends it: where to, and the body with its
/// signature. Ours because the error and timeout messages name the call, which Tmds.DBus.Protocol's
/// finished message buffer no longer tells.
/// </summary>
public sealed record DBusCall(string Destination, string Path, string Interface, string Member, string? Signature = null, BodyWriter? Body = null)
{
    public override string ToString() => $"{Interface}.{Member} on {Destination}";
}
