namespace ImageUpdate.Platform.DBus;

/// <summary>A D-Bus object path (type code 'o'), validated on construction (§Valid Object Paths).</summary>
public readonly record struct ObjectPath
{
    private readonly string? _value;

    public ObjectPath(string value)
    {
        _value = DBusNames.CheckObjectPath(value);
    }

    public static ObjectPath Root { get; } = new("/");

    /// <summary>The path; "/" for a default-initialised value.</summary>
    public string Value => _value ?? "/";

    public override string ToString() => Value;

    public static implicit operator ObjectPath(string value) => new(value);
}
