using ImageUpdate.Platform.DBus;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>
/// The object the interop tests export as org.example.Ours at /org/example/Ours: a method of each
/// kind (plain, calling back into the bus, failing, passing fds either way, emitting signals) and a
/// read-only and a writable property.
/// </summary>
internal sealed class ExampleObject
{
    public const string Interface = "org.example.Ours";
    public const string ObjectPathName = "/org/example/Ours";

    private readonly string _file;
    private uint _counter;

    public ExampleObject(string file)
    {
        _file = file;
        File.WriteAllText(file, "from C#");
    }

    public DBusObject Build()
    {
        var iface = new DBusInterface(Interface)
            .AddMethod(new DBusMethod("Add", "ii", "i", c => ValueTask.FromResult(DBusReply.Return("i", [(int)c.Body[0] + (int)c.Body[1]])), ["a", "b"], ["sum"]))
            .AddMethod("WhoAmI", "", "u", async c => DBusReply.Return("u", [await c.Connection.GetConnectionUnixUserAsync(c.Sender!)]))
            .AddMethod("Refuse", "", "", _ => throw new DBusErrorException("org.example.Error.Refused", "not for you"))
            .AddMethod("OpenFile", "", "h", _ => ValueTask.FromResult(DBusReply.Return("h", [File.OpenHandle(_file)])))
            .AddMethod("ReadFd", "h", "s", async c =>
            {
                using var stream = ((UnixFdHandle)c.Body[0]).ToStream(FileAccess.Read);
                using var reader = new StreamReader(stream);
                return DBusReply.Return("s", [await reader.ReadToEndAsync()]);
            })
            .AddMethod("Tick", "s", "", async c =>
            {
                _counter++;
                await c.Connection.EmitPropertiesChangedAsync(ObjectPathName, Interface, ["Counter"]);
                await c.Connection.EmitSignalAsync(ObjectPathName, Interface, "Ticked", "s", [c.Body[0]]);
                return DBusReply.Empty;
            })
            .AddProperty(new DBusProperty("Version", "s", PropertyAccess.Read, () => "1.0"))
            .AddProperty(new DBusProperty("Counter", "u", PropertyAccess.ReadWrite, () => _counter, (_, value) =>
            {
                _counter = (uint)value;
                return ValueTask.CompletedTask;
            }))
            .AddSignal(new DBusSignalInfo("Ticked", "s", ["when"]));
        return new DBusObject(ObjectPathName).AddInterface(iface);
    }
}
