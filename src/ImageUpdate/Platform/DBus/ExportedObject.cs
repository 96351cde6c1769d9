using System.Text;
using ImageUpdate.Foundation.Errors;
using Microsoft.Extensions.Logging;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// An object exported with one interface of read-only properties, on Tmds.DBus.Protocol's
/// <see cref="IPathMethodHandler"/> (the package routes calls by path, answers Peer, and lists child
/// nodes in Introspect). Ours is what the package leaves to its code generator, which image-update
/// does not use (a NativeAOT binary, no generated proxies): org.freedesktop.DBus.Properties
/// (Get, GetAll, Set refused as read-only), the Introspect reply from the interface's XML, argument
/// signature checks, and turning a handler's <see cref="DBusErrorException"/> (or any failure) into an
/// error reply instead of letting it reach the package, which would close the connection.
/// The package keeps the request readable until <see cref="HandleMethodAsync"/>'s task completes (it
/// disposes the <see cref="MethodContext"/> then), so a handler may read its arguments after an await;
/// from its first await on it runs beside the receive loop, concurrently with later calls.
/// </summary>
public abstract class ExportedObject : IPathMethodHandler
{
    public const string PropertiesInterface = "org.freedesktop.DBus.Properties";

    private const string UnknownInterface = "org.freedesktop.DBus.Error.UnknownInterface";
    private const string UnknownProperty = "org.freedesktop.DBus.Error.UnknownProperty";
    private const string InvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
    private const string Failed = "org.freedesktop.DBus.Error.Failed";

    private readonly ReadOnlyMemory<byte> _introspection;

    /// <param name="introspectionXml">The interface's &lt;interface&gt; element (D-Bus Specification §Introspection Data Format).</param>
    protected ExportedObject(string path, string interfaceName, string introspectionXml)
    {
        Path = path;
        InterfaceName = interfaceName;
        _introspection = Encoding.UTF8.GetBytes(introspectionXml);
    }

    public string Path { get; }

    public string InterfaceName { get; }

    public bool HandlesChildPaths => false;

    /// <summary>Where a handler's unexpected failure is logged (<see cref="BusConnection.Export"/> passes the connection's).</summary>
    public ILogger? Logger { get; set; }

    /// <summary>The interface's properties, in GetAll's order.</summary>
    protected abstract IReadOnlyList<string> PropertyNames { get; }

    /// <summary>Writes the current value of property <paramref name="name"/> as a variant ('v').</summary>
    protected abstract void WriteProperty(ref MessageWriter writer, string name);

    /// <summary>Handles a method of <see cref="InterfaceName"/>; null when there is no such method. Throw <see cref="DBusErrorException"/> to fail the call.</summary>
    protected abstract Task<MethodReply?> CallAsync(MethodContext context, string member);

    public async ValueTask HandleMethodAsync(MethodContext context)
    {
        try
        {
            if (context.IsDBusIntrospectRequest)
            {
                context.ReplyIntrospectXml([_introspection, IntrospectionXml.DBusProperties]);
                return;
            }

            var request = context.Request;
            var reply = context.IsPropertiesInterfaceRequest ? HandleProperties(request)
                : !request.InterfaceIsSet || request.InterfaceAsString == InterfaceName ? await CallAsync(context, request.MemberAsString ?? "").ConfigureAwait(false)
                : null;
            if (reply is null)
            {
                context.ReplyUnknownMethodError();
            }
            else if (!context.NoReplyExpected)
            {
                Reply(context, reply);
            }
        }
        catch (DBusErrorException e)
        {
            context.ReplyError(e.ErrorName, e.ErrorMessage);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // An internal failure's text is for the log, not for any caller on the bus.
            Logger?.LogWarning(e, "D-Bus method {Interface}.{Member} at {Path} failed", UntrustedText.Escape(context.Request.InterfaceAsString ?? ""), UntrustedText.Escape(context.Request.MemberAsString ?? ""), Path);
            context.ReplyError(Failed, "The method failed; the service's log says why.");
        }
    }

    /// <summary>Answers Introspect with this object's interfaces and <paramref name="childNames"/> (for <see cref="ObjectTree"/>, which knows the children).</summary>
    internal void ReplyIntrospect(MethodContext context, IList<string> childNames) =>
        context.ReplyIntrospectXml([_introspection, IntrospectionXml.DBusProperties], childNames);

    /// <summary>Emits PropertiesChanged with the current values of <paramref name="names"/>; false when the connection is gone.</summary>
    public bool EmitPropertiesChanged(DBusConnection connection, params IReadOnlyList<string> names)
    {
        var writer = connection.GetMessageWriter();
        try
        {
            writer.WriteSignalHeader(null, Path, PropertiesInterface, "PropertiesChanged", "sa{sv}as");
            writer.WriteString(InterfaceName);
            WriteProperties(ref writer, names);
            writer.WriteArray(Array.Empty<string>());
            return connection.TrySendMessage(writer.CreateMessage());
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>Emits a signal from <paramref name="path"/>; false when the connection is gone.</summary>
    public static bool EmitSignal(DBusConnection connection, string path, string @interface, string member, string signature, BodyWriter body)
    {
        var writer = connection.GetMessageWriter();
        try
        {
            writer.WriteSignalHeader(null, path, @interface, member, signature);
            body(ref writer);
            return connection.TrySendMessage(writer.CreateMessage());
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>Refuses a call whose arguments do not have <paramref name="signature"/>, as sd-bus does, before anything is read.</summary>
    protected static void RequireArguments(Message request, string signature)
    {
        var actual = request.SignatureAsString ?? "";
        if (actual != signature)
        {
            throw new DBusErrorException(InvalidArgs, $"Expected arguments '{signature}', got '{UntrustedText.Escape(actual)}'.");
        }
    }

    private MethodReply HandleProperties(Message request)
    {
        var member = request.MemberAsString ?? "";
        switch (member)
        {
            case "Get":
                {
                    RequireArguments(request, "ss");
                    var reader = request.GetBodyReader();
                    var name = FindProperty(reader.ReadString(), reader.ReadString());
                    return new MethodReply("v", (ref MessageWriter w) => WriteProperty(ref w, name));
                }

            case "GetAll":
                {
                    RequireArguments(request, "s");
                    var asked = request.GetBodyReader().ReadString();
                    if (asked is "org.freedesktop.DBus.Peer" or "org.freedesktop.DBus.Introspectable" or PropertiesInterface)
                    {
                        // The standard interfaces have no properties; introspecting tools (busctl) still ask.
                        return new MethodReply("a{sv}", (ref MessageWriter w) => w.WriteDictionaryEnd(w.WriteDictionaryStart()));
                    }

                    CheckInterface(asked);
                    return new MethodReply("a{sv}", (ref MessageWriter w) => WriteProperties(ref w, PropertyNames));
                }

            case "Set":
                {
                    RequireArguments(request, "ssv");
                    var reader = request.GetBodyReader();
                    var name = FindProperty(reader.ReadString(), reader.ReadString());
                    throw new DBusErrorException("org.freedesktop.DBus.Error.PropertyReadOnly", $"Property {name} is read-only.");
                }

            default:
                throw new DBusErrorException("org.freedesktop.DBus.Error.UnknownMethod", $"No method {UntrustedText.Escape(member)} in {PropertiesInterface}.");
        }
    }

    private void CheckInterface(string name)
    {
        if (name != InterfaceName)
        {
            throw new DBusErrorException(UnknownInterface, $"No interface {UntrustedText.Escape(name)} at {Path}.");
        }
    }

    private string FindProperty(string @interface, string name)
    {
        CheckInterface(@interface);
        return PropertyNames.FirstOrDefault(p => p == name)
            ?? throw new DBusErrorException(UnknownProperty, $"No property {UntrustedText.Escape(name)} in {InterfaceName}.");
    }

    private void WriteProperties(ref MessageWriter writer, IReadOnlyList<string> names)
    {
        var dictionary = writer.WriteDictionaryStart();
        foreach (var name in names)
        {
            writer.WriteDictionaryEntryStart();
            writer.WriteString(name);
            WriteProperty(ref writer, name);
        }

        writer.WriteDictionaryEnd(dictionary);
    }

    private static void Reply(MethodContext context, MethodReply reply)
    {
        var writer = context.CreateReplyWriter(reply.Signature.Length == 0 ? null : reply.Signature);
        try
        {
            reply.Body?.Invoke(ref writer);
            context.Reply(writer.CreateMessage());
        }
        finally
        {
            writer.Dispose();
        }
    }
}
