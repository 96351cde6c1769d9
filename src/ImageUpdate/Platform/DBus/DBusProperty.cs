namespace ImageUpdate.Platform.DBus;

/// <summary>
/// An exported property served through org.freedesktop.DBus.Properties. <see cref="Getter"/> returns
/// the current value in the CLR form of <see cref="Signature"/>; <see cref="Setter"/> (for writable
/// properties) may throw <see cref="DBusErrorException"/>, e.g. AccessDenied.
/// </summary>
public sealed record DBusProperty(
    string Name,
    DBusSignature Signature,
    PropertyAccess Access,
    Func<object>? Getter,
    Func<DBusMethodContext, object, ValueTask>? Setter = null);
