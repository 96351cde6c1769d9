namespace ImageUpdate.Platform.DBus;

/// <summary>A signal an interface declares, for introspection; sending is <see cref="DBusConnection.EmitSignalAsync"/>.</summary>
public sealed record DBusSignalInfo(string Name, DBusSignature Signature, IReadOnlyList<string>? ArgNames = null);
