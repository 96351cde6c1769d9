namespace ImageUpdate.Platform.DBus;

/// <summary>An exported method: its argument signatures (checked against each call), optional argument names for introspection, and its handler.</summary>
public sealed record DBusMethod(
    string Name,
    DBusSignature InSignature,
    DBusSignature OutSignature,
    DBusMethodHandler Handler,
    IReadOnlyList<string>? InNames = null,
    IReadOnlyList<string>? OutNames = null);
