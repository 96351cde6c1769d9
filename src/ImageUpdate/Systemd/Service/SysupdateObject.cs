using ImageUpdate.Platform.DBus;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Systemd.Service;

/// <summary>One exported sysupdate1 object (Manager, a Target or a Job): its interface's methods and read-only properties by name.</summary>
internal sealed class SysupdateObject : ExportedObject
{
    private readonly Dictionary<string, SysupdateProperty> _properties;
    private readonly IReadOnlyDictionary<string, SysupdateMethod> _methods;

    public SysupdateObject(string path, string interfaceName, string introspectionXml, IReadOnlyList<SysupdateProperty> properties, IReadOnlyDictionary<string, SysupdateMethod> methods)
        : base(path, interfaceName, introspectionXml)
    {
        _properties = properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
        PropertyNames = [.. properties.Select(p => p.Name)];
        _methods = methods;
    }

    protected override IReadOnlyList<string> PropertyNames { get; }

    protected override void WriteProperty(ref MessageWriter writer, string name) => _properties[name].WriteValue(ref writer);

    protected override async Task<MethodReply?> CallAsync(MethodContext context, string member)
    {
        if (!_methods.TryGetValue(member, out var method))
        {
            return null;
        }

        RequireArguments(context.Request, method.InSignature);
        return await method.Handler(context).ConfigureAwait(false);
    }
}
