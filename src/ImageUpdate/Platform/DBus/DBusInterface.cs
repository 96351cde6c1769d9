namespace ImageUpdate.Platform.DBus;

/// <summary>An interface of an exported object: its methods, properties and signals, by name.</summary>
public sealed class DBusInterface
{
    private readonly Dictionary<string, DBusMethod> _methods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DBusProperty> _properties = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DBusSignalInfo> _signals = new(StringComparer.Ordinal);

    public DBusInterface(string name)
    {
        Name = DBusNames.CheckInterface(name);
    }

    public string Name { get; }

    public IReadOnlyDictionary<string, DBusMethod> Methods => _methods;

    public IReadOnlyDictionary<string, DBusProperty> Properties => _properties;

    public IReadOnlyDictionary<string, DBusSignalInfo> Signals => _signals;

    public DBusInterface AddMethod(DBusMethod method)
    {
        DBusNames.CheckMember(method.Name);
        _methods.Add(method.Name, method);
        return this;
    }

    public DBusInterface AddMethod(string name, DBusSignature inSignature, DBusSignature outSignature, DBusMethodHandler handler) =>
        AddMethod(new DBusMethod(name, inSignature, outSignature, handler));

    public DBusInterface AddProperty(DBusProperty property)
    {
        DBusNames.CheckMember(property.Name);
        if (!DBusSignature.IsSingleCompleteType(property.Signature.Value))
        {
            throw new DBusProtocolException($"Property '{property.Name}' needs a single complete type, not '{property.Signature}'.");
        }

        _properties.Add(property.Name, property);
        return this;
    }

    public DBusInterface AddSignal(DBusSignalInfo signal)
    {
        DBusNames.CheckMember(signal.Name);
        _signals.Add(signal.Name, signal);
        return this;
    }
}
