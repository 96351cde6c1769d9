using ImageUpdate.Platform.DBus;
using Microsoft.Win32.SafeHandles;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>
/// The object the interop tests export as org.example.Ours at /org/example/Ours on our
/// <see cref="ExportedObject"/>: a method of each kind (plain, calling back into the bus, failing,
/// passing fds either way, emitting signals) and two read-only properties.
/// </summary>
internal sealed class ExampleObject(BusConnection connection, string file) : ExportedObject(ObjectPathName, Interface, Xml)
{
    public const string Interface = "org.example.Ours";
    public const string ObjectPathName = "/org/example/Ours";

    private const string Xml = """
        <interface name="org.example.Ours">
          <method name="Add"><arg name="a" type="i" direction="in"/><arg name="b" type="i" direction="in"/><arg name="sum" type="i" direction="out"/></method>
          <method name="WhoAmI"><arg type="u" direction="out"/></method>
          <method name="Refuse"/>
          <method name="Crash"/>
          <method name="OpenFile"><arg type="h" direction="out"/></method>
          <method name="ReadFd"><arg type="h" direction="in"/><arg type="s" direction="out"/></method>
          <method name="Tick"><arg name="when" type="s" direction="in"/></method>
          <signal name="Ticked"><arg name="when" type="s"/></signal>
          <property name="Counter" type="u" access="read"/>
          <property name="Version" type="s" access="read"/>
        </interface>
        """;

    private uint _counter;

    protected override IReadOnlyList<string> PropertyNames => ["Counter", "Version"];

    protected override void WriteProperty(ref MessageWriter writer, string name)
    {
        if (name == "Counter")
        {
            writer.WriteVariantUInt32(_counter);
        }
        else
        {
            writer.WriteVariantString("1.0");
        }
    }

    protected override async Task<MethodReply?> CallAsync(MethodContext context, string member)
    {
        switch (member)
        {
            case "Add":
                {
                    RequireArguments(context.Request, "ii");
                    var reader = context.Request.GetBodyReader();
                    var sum = reader.ReadInt32() + reader.ReadInt32();
                    return new MethodReply("i", (ref MessageWriter w) => w.WriteInt32(sum));
                }

            case "WhoAmI":
                {
                    var uid = await connection.GetConnectionUnixUserAsync(context.Request.SenderAsString!);
                    return new MethodReply("u", (ref MessageWriter w) => w.WriteUInt32(uid));
                }

            case "Refuse":
                throw new DBusErrorException("org.example.Error.Refused", "not for you");
            case "Crash":
                throw new InvalidOperationException("internal detail /secret/path");
            case "OpenFile":
                {
                    var handle = File.OpenHandle(file);
                    return new MethodReply("h", (ref MessageWriter w) => w.WriteHandle(handle));
                }

            case "ReadFd":
                {
                    RequireArguments(context.Request, "h");
                    using var stream = new FileStream(context.Request.GetBodyReader().ReadHandle<SafeFileHandle>(), FileAccess.Read, bufferSize: 0);
                    using var text = new StreamReader(stream);
                    return MethodReply.String(await text.ReadToEndAsync());
                }

            case "Tick":
                {
                    RequireArguments(context.Request, "s");
                    var when = context.Request.GetBodyReader().ReadString();
                    _counter++;
                    EmitPropertiesChanged(context.Connection, "Counter");
                    EmitSignal(context.Connection, ObjectPathName, Interface, "Ticked", "s", (ref MessageWriter w) => w.WriteString(when));
                    return MethodReply.Empty;
                }

            default:
                return null;
        }
    }
}
