namespace ImageUpdate.Platform.DBus;

/// <summary>An object exported at a path with its interfaces; register it with <see cref="DBusConnection.RegisterObject"/>.</summary>
public sealed class DBusObject
{
    private readonly Dictionary<string, DBusInterface> _interfaces = new(StringComparer.Ordinal);

    public DBusObject(ObjectPath path)
    {
        Path = path;
    }

    public ObjectPath Path { get; }

    public IReadOnlyDictionary<string, DBusInterface> Interfaces => _interfaces;

    public DBusObject AddInterface(DBusInterface @interface)
    {
        if (@interface.Name.StartsWith("org.freedesktop.DBus.", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Interface {@interface.Name} is provided by the connection itself.", nameof(@interface));
        }

        _interfaces.Add(@interface.Name, @interface);
        return this;
    }
}
