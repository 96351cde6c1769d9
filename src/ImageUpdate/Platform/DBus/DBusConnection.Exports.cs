using ImageUpdate.Foundation.Errors;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// Exported objects: method calls routed to their handlers, and the standard interfaces of D-Bus
/// Specification 0.41 §Standard Interfaces (Peer, Introspectable, Properties) answered here.
/// </summary>
public sealed partial class DBusConnection
{
    private const string PeerInterface = "org.freedesktop.DBus.Peer";
    private const string IntrospectableInterface = "org.freedesktop.DBus.Introspectable";
    private const string PropertiesInterface = "org.freedesktop.DBus.Properties";

    private readonly Dictionary<string, DBusObject> _objects = new(StringComparer.Ordinal);

    /// <summary>Exports <paramref name="obj"/>; its interfaces may not change afterwards.</summary>
    public void RegisterObject(DBusObject obj)
    {
        lock (_objects)
        {
            if (!_objects.TryAdd(obj.Path.Value, obj))
            {
                throw new InvalidOperationException($"An object is already exported at {obj.Path}.");
            }
        }
    }

    public bool UnregisterObject(ObjectPath path)
    {
        lock (_objects)
        {
            return _objects.Remove(path.Value);
        }
    }

    /// <summary>Emits a signal from an exported (or any) path.</summary>
    public Task<uint> EmitSignalAsync(ObjectPath path, string @interface, string member, DBusSignature signature, IReadOnlyList<object> body, CancellationToken cancellationToken = default) =>
        SendAsync(DBusMessage.Signal(path, @interface, member, signature, body), cancellationToken);

    /// <summary>Emits org.freedesktop.DBus.Properties.PropertiesChanged with the current values of <paramref name="names"/>.</summary>
    public Task<uint> EmitPropertiesChangedAsync(ObjectPath path, string @interface, IReadOnlyList<string> names, CancellationToken cancellationToken = default)
    {
        var iface = FindObject(path)?.Interfaces.GetValueOrDefault(@interface)
            ?? throw new InvalidOperationException($"No interface {@interface} is exported at {path}.");
        var changed = new Dictionary<string, Variant>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var property = iface.Properties[name];
            changed[name] = new Variant(property.Signature, property.Getter?.Invoke() ?? throw new InvalidOperationException($"Property {name} cannot be read."));
        }

        return EmitSignalAsync(path, PropertiesInterface, "PropertiesChanged", "sa{sv}as", [@interface, changed, Array.Empty<string>()], cancellationToken);
    }

    internal DBusObject? FindObject(ObjectPath path)
    {
        lock (_objects)
        {
            return _objects.GetValueOrDefault(path.Value);
        }
    }

    /// <summary>The names of the direct children of <paramref name="path"/> among the exported paths, for introspection.</summary>
    internal IReadOnlyList<string> ChildNodes(ObjectPath path)
    {
        var prefix = path.Value == "/" ? "/" : path.Value + "/";
        lock (_objects)
        {
            return _objects.Keys
                .Where(p => p.Length > prefix.Length && p.StartsWith(prefix, StringComparison.Ordinal))
                .Select(p => p[prefix.Length..].Split('/')[0])
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToArray();
        }
    }

    private async Task HandleCallAsync(DBusMessage call)
    {
        DBusMessage reply;
        try
        {
            reply = await InvokeAsync(call).ConfigureAwait(false);
        }
        catch (DBusErrorException e)
        {
            reply = DBusMessage.ErrorFor(call, e.ErrorName, e.ErrorMessage);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger?.LogWarning(e, "D-Bus method {Interface}.{Member} failed", call.Interface, call.Member);
            reply = DBusMessage.ErrorFor(call, "org.freedesktop.DBus.Error.Failed", e.Message);
        }

        if (call.Flags.HasFlag(MessageFlags.NoReplyExpected))
        {
            return;
        }

        try
        {
            await SendAsync(reply).ConfigureAwait(false);
        }
        catch (DBusException e)
        {
            // The reply itself may be unsendable (a handler returned values that do not fit its signature).
            _logger?.LogWarning(e, "Cannot reply to D-Bus method {Member}", call.Member);
            if (IsConnected && e is DBusProtocolException)
            {
                await SendAsync(DBusMessage.ErrorFor(call, "org.freedesktop.DBus.Error.Failed", e.Message)).ConfigureAwait(false);
            }
        }
    }

    private async Task<DBusMessage> InvokeAsync(DBusMessage call)
    {
        var path = call.Path!.Value;
        var member = call.Member!;
        var context = new DBusMethodContext(this, call);
        switch (call.Interface)
        {
            case PeerInterface or null when member is "Ping" && call.Signature.Value.Length == 0:
                return DBusMessage.ReturnFor(call);
            case PeerInterface or null when member is "GetMachineId" && call.Signature.Value.Length == 0:
                return DBusMessage.ReturnFor(call, "s", [MachineId()]);
            case IntrospectableInterface or null when member is "Introspect" && call.Signature.Value.Length == 0:
                var known = FindObject(path);
                var children = ChildNodes(path);
                if (known is null && children.Count == 0 && path.Value != "/")
                {
                    throw UnknownObject(path);
                }

                return DBusMessage.ReturnFor(call, "s", [DBusIntrospection.Generate(known, children)]);
        }

        var obj = FindObject(path) ?? throw UnknownObject(path);
        if (call.Interface == PropertiesInterface)
        {
            return await HandlePropertiesAsync(obj, context).ConfigureAwait(false);
        }

        var method = call.Interface is { } name
            ? (obj.Interfaces.GetValueOrDefault(name) ?? throw new DBusErrorException("org.freedesktop.DBus.Error.UnknownInterface", $"No interface {name} at {path}.")).Methods.GetValueOrDefault(member)
            : obj.Interfaces.Values.Select(i => i.Methods.GetValueOrDefault(member)).FirstOrDefault(m => m is not null);
        if (method is null)
        {
            throw new DBusErrorException("org.freedesktop.DBus.Error.UnknownMethod", $"No method {UntrustedText.Escape(member)} at {path}.");
        }

        CheckArguments(call, method.InSignature);
        var result = await method.Handler(context).ConfigureAwait(false);
        if (result.ErrorName is { } errorName)
        {
            return DBusMessage.ErrorFor(call, errorName, result.ErrorMessage);
        }

        if (result.Signature != method.OutSignature)
        {
            throw new InvalidOperationException($"Method {member} returned '{result.Signature}' but declares '{method.OutSignature}'.");
        }

        return DBusMessage.ReturnFor(call, result.Signature, result.Body);
    }

    private async Task<DBusMessage> HandlePropertiesAsync(DBusObject obj, DBusMethodContext context)
    {
        var call = context.Message;
        DBusInterface Interface(string name) => obj.Interfaces.GetValueOrDefault(name)
            ?? throw new DBusErrorException("org.freedesktop.DBus.Error.UnknownInterface", $"No interface {UntrustedText.Escape(name)} at {obj.Path}.");
        DBusProperty Property(DBusInterface iface, string name) => iface.Properties.GetValueOrDefault(name)
            ?? throw new DBusErrorException("org.freedesktop.DBus.Error.UnknownProperty", $"No property {UntrustedText.Escape(name)} in {iface.Name}.");

        switch (call.Member)
        {
            case "Get":
                CheckArguments(call, "ss");
                var readable = Property(Interface((string)call.Body[0]), (string)call.Body[1]);
                if (readable.Getter is null || readable.Access == PropertyAccess.Write)
                {
                    throw new DBusErrorException("org.freedesktop.DBus.Error.PropertyWriteOnly", $"Property {readable.Name} is write-only.");
                }

                return DBusMessage.ReturnFor(call, "v", [new Variant(readable.Signature, readable.Getter())]);
            case "GetAll":
                CheckArguments(call, "s");
                var all = new Dictionary<string, Variant>(StringComparer.Ordinal);
                var asked = (string)call.Body[0];
                if (asked is PeerInterface or IntrospectableInterface or PropertiesInterface)
                {
                    // The standard interfaces have no properties; introspecting tools (busctl) still ask.
                    return DBusMessage.ReturnFor(call, "a{sv}", [all]);
                }

                foreach (var property in Interface(asked).Properties.Values)
                {
                    if (property.Getter is not null && property.Access != PropertyAccess.Write)
                    {
                        all[property.Name] = new Variant(property.Signature, property.Getter());
                    }
                }

                return DBusMessage.ReturnFor(call, "a{sv}", [all]);
            case "Set":
                CheckArguments(call, "ssv");
                var writable = Property(Interface((string)call.Body[0]), (string)call.Body[1]);
                if (writable.Setter is null || writable.Access == PropertyAccess.Read)
                {
                    throw new DBusErrorException("org.freedesktop.DBus.Error.PropertyReadOnly", $"Property {writable.Name} is read-only.");
                }

                var value = (Variant)call.Body[2];
                if (value.Signature != writable.Signature)
                {
                    throw new DBusErrorException("org.freedesktop.DBus.Error.InvalidArgs", $"Property {writable.Name} has type '{writable.Signature}', not '{value.Signature}'.");
                }

                await writable.Setter(context, value.Value).ConfigureAwait(false);
                return DBusMessage.ReturnFor(call);
            default:
                throw new DBusErrorException("org.freedesktop.DBus.Error.UnknownMethod", $"No method {UntrustedText.Escape(call.Member ?? "")} in {PropertiesInterface}.");
        }
    }

    private static void CheckArguments(DBusMessage call, DBusSignature expected)
    {
        if (call.Signature != expected)
        {
            throw new DBusErrorException("org.freedesktop.DBus.Error.InvalidArgs", $"Expected arguments '{expected}', got '{UntrustedText.Escape(call.Signature.Value)}'.");
        }
    }

    private static DBusErrorException UnknownObject(ObjectPath path) =>
        new("org.freedesktop.DBus.Error.UnknownObject", $"No object at {path}.");

    /// <summary>§org.freedesktop.DBus.Peer: the hex machine id from /etc/machine-id (or dbus's older copy).</summary>
    private static string MachineId()
    {
        foreach (var file in new[] { "/etc/machine-id", "/var/lib/dbus/machine-id" })
        {
            try
            {
                var id = File.ReadAllText(file).Trim();
                if (id.Length == 32)
                {
                    return id;
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        throw new DBusErrorException("org.freedesktop.DBus.Error.FileNotFound", "This machine has no machine id.");
    }
}
