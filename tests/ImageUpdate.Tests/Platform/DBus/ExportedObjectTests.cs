using System.Text.Json;
using ImageUpdate.Platform.DBus;
using ImageUpdate.Tests.Update.Imaging;
using Microsoft.Extensions.Logging;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>Our <see cref="ExportedObject"/> (Properties, Introspect, errors) on Tmds.DBus.Protocol, driven by other implementations: a python3-dbus client and busctl (sd-bus).</summary>
public sealed class ExportedObjectTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_python3_dbus_client_calls_methods_properties_fds_introspection_and_gets_signals()
    {
        DBusTestTools.RequirePython();

        using var bus = new PrivateBus();
        await using var connection = await ExportAsync(bus);
        using var client = new PythonProcess(bus, "client", PythonScripts.Client, ExampleObject.Interface);
        var line = await client.ReadLineAsync(TimeSpan.FromSeconds(60));
        output.WriteLine(line);
        var result = JsonDocument.Parse(line).RootElement;

        Assert.Equal(5, result.GetProperty("add").GetInt32());
        Assert.True(result.GetProperty("whoami").GetBoolean());
        Assert.Equal("1.0", result.GetProperty("version").GetString());
        Assert.Equal(["Counter", "Version"], result.GetProperty("all").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(0, result.GetProperty("counter").GetInt32());
        Assert.Equal("org.freedesktop.DBus.Error.PropertyReadOnly", result.GetProperty("set_readonly")[0].GetString());
        Assert.Equal("org.example.Error.Refused", result.GetProperty("refuse")[0].GetString());
        Assert.Equal("not for you", result.GetProperty("refuse")[1].GetString());
        Assert.Equal("org.freedesktop.DBus.Error.InvalidArgs", result.GetProperty("bad_args")[0].GetString());
        Assert.Equal("org.freedesktop.DBus.Error.UnknownMethod", result.GetProperty("no_method")[0].GetString());
        Assert.Equal("org.freedesktop.DBus.Error.UnknownObject", result.GetProperty("no_object")[0].GetString());
        Assert.Equal("from C#", result.GetProperty("fd").GetString());
        Assert.Equal("from python", result.GetProperty("sent_fd").GetString());
        Assert.All(result.GetProperty("introspect").EnumerateArray(), e => Assert.True(e.GetBoolean()));
        Assert.True(result.GetProperty("root_children").GetBoolean());
        Assert.Equal(
            ["PropertiesChanged org.example.Ours Counter=1", "Ticked now"],
            result.GetProperty("signals").EnumerateArray().Select(s => string.Join(' ', s.EnumerateArray().Select(e => e.GetString()))));
    }

    [Fact]
    public async Task Busctl_calls_reads_properties_is_refused_a_write_and_introspects_our_object()
    {
        DBusTestTools.RequireBusctl();

        using var bus = new PrivateBus();
        await using var connection = await ExportAsync(bus);
        string Busctl(params string[] arguments)
        {
            var (exitCode, stdout, stderr) = DBusTestTools.Run("busctl", ["--address=" + bus.Address, .. arguments]);
            Assert.True(exitCode == 0, $"busctl {string.Join(' ', arguments)} failed: {stderr}");
            return stdout.Trim();
        }

        Assert.Equal("i 5", await Task.Run(() => Busctl("call", ExampleObject.Interface, ExampleObject.ObjectPathName, ExampleObject.Interface, "Add", "ii", "2", "3")));
        Assert.Equal("s \"1.0\"", await Task.Run(() => Busctl("get-property", ExampleObject.Interface, ExampleObject.ObjectPathName, ExampleObject.Interface, "Version")));
        var (setExit, _, setError) = await Task.Run(() => DBusTestTools.Run("busctl", ["--address=" + bus.Address, "set-property", ExampleObject.Interface, ExampleObject.ObjectPathName, ExampleObject.Interface, "Counter", "u", "9"]));
        Assert.NotEqual(0, setExit);
        Assert.Contains("Property Counter is read-only.", setError, StringComparison.Ordinal);

        var introspection = await Task.Run(() => Busctl("introspect", ExampleObject.Interface, ExampleObject.ObjectPathName));
        output.WriteLine(introspection);
        Assert.Matches(@"\.Add\s+method\s+ii\s+i", introspection);
        Assert.Matches(@"\.Counter\s+property\s+u\s+0\s", introspection);
        Assert.Matches(@"\.Ticked\s+signal\s+s", introspection);
        Assert.Matches(@"org\.freedesktop\.DBus\.Peer\s+interface", introspection);
        Assert.Matches(@"org\.freedesktop\.DBus\.Properties\s+interface", introspection);

        var tree = await Task.Run(() => Busctl("tree", ExampleObject.Interface));
        Assert.Contains(ExampleObject.ObjectPathName, tree, StringComparison.Ordinal);

        var (refusedExit, _, refusedError) = await Task.Run(() => DBusTestTools.Run("busctl", ["--address=" + bus.Address, "call", ExampleObject.Interface, ExampleObject.ObjectPathName, ExampleObject.Interface, "Refuse"]));
        Assert.NotEqual(0, refusedExit);
        Assert.Contains("not for you", refusedError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handler_that_fails_unexpectedly_is_logged_and_the_caller_gets_no_internal_text()
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus();
        var logger = new ListLogger();
        await using var connection = await ExportAsync(bus, logger);
        await using var client = await BusConnection.ConnectAsync(bus.Address);

        var error = await Assert.ThrowsAsync<DBusErrorException>(() => client.CallAsync(new DBusCall(ExampleObject.Interface, ExampleObject.ObjectPathName, ExampleObject.Interface, "Crash")));

        Assert.Equal("org.freedesktop.DBus.Error.Failed", error.ErrorName);
        Assert.Equal("The method failed; the service's log says why.", error.ErrorMessage);
        Assert.Equal(["D-Bus method org.example.Ours.Crash at /org/example/Ours failed"], logger.Messages);
    }

    [Theory]
    [InlineData("org.freedesktop.DBus.Peer")]
    [InlineData("org.freedesktop.DBus.Introspectable")]
    [InlineData("org.freedesktop.DBus.Properties")]
    public async Task GetAll_on_a_standard_interface_is_empty_and_on_an_unknown_one_UnknownInterface(string standard)
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus();
        await using var connection = await ExportAsync(bus);
        await using var client = await BusConnection.ConnectAsync(bus.Address);
        DBusCall GetAll(string @interface) => new(ExampleObject.Interface, ExampleObject.ObjectPathName, ExportedObject.PropertiesInterface, "GetAll", "s", (ref MessageWriter w) => w.WriteString(@interface));

        var all = await client.CallAsync(GetAll(standard), static (m, _) => BusConnection.ReadSingle(m, "a{sv}", "GetAll").ReadDictionaryOfStringToVariantValue());
        var error = await Assert.ThrowsAsync<DBusErrorException>(() => client.CallAsync(GetAll("org.example.Nope")));

        Assert.Empty(all);
        Assert.Equal("org.freedesktop.DBus.Error.UnknownInterface", error.ErrorName);
    }

    private static async Task<BusConnection> ExportAsync(PrivateBus bus, ILogger? logger = null)
    {
        var connection = await BusConnection.ConnectAsync(bus.Address);
        connection.Logger = logger;
        File.WriteAllText(bus.Directory["file"], "from C#");
        connection.Export(new ExampleObject(connection, bus.Directory["file"]));
        Assert.True(await connection.Connection.TryRequestNameAsync(ExampleObject.Interface));
        return connection;
    }
}
