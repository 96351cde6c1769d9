using System.IO.Pipes;
using ImageUpdate.Platform.DBus;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>Our client calling a python3-dbus service: fds both ways, the container types logind and systemd use, errors, signals.</summary>
public sealed class PythonServiceTests
{
    private const string Name = "org.example.PyService";
    private const string PathName = "/org/example/PyService";

    [Fact]
    public async Task A_returned_fd_arrives_open_and_readable_and_ours_reaches_python()
    {
        DBusTestTools.RequirePython();

        using var bus = new PrivateBus();
        using var service = await StartAsync(bus);
        await using var connection = await DBusConnection.ConnectAsync(bus.Address);

        var reply = await connection.CallAsync(Call("OpenPipe", "s", ["hello through a pipe"]));
        Assert.Equal("h", reply.Signature.Value);
        var handle = Assert.IsType<UnixFdHandle>(reply.Body[0]);
        Assert.Same(handle, Assert.Single(reply.UnixFds));
        using (var stream = handle.ToStream(FileAccess.Read))
        using (var text = new StreamReader(stream))
        {
            Assert.Equal("hello through a pipe", await text.ReadToEndAsync());
        }

        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        await pipe.WriteAsync("from C#"u8.ToArray());
        var readEnd = pipe.ClientSafePipeHandle;
        pipe.Dispose();
        var read = await connection.CallAsync(Call("ReadFd", "h", [readEnd]));
        Assert.Equal("from C#", read.Body[0]);
    }

    [Fact]
    public async Task ListUnitsFiltered_shaped_replies_and_nested_containers_read_with_their_types()
    {
        DBusTestTools.RequirePython();

        using var bus = new PrivateBus();
        using var service = await StartAsync(bus);
        await using var connection = await DBusConnection.ConnectAsync(bus.Address);

        var units = await connection.CallAsync(Call("ListUnitsFiltered", "as", [new[] { "failed" }]));
        Assert.Equal("a(ssssssouso)", units.Signature.Value);
        var unit = (object[])Assert.Single((object[])units.Body[0]);
        Assert.Equal("a.service", unit[0]);
        Assert.Equal("failed", unit[3]);
        Assert.Equal(new ObjectPath("/org/freedesktop/systemd1/unit/a_2eservice"), unit[6]);
        Assert.Equal(0u, unit[7]);

        var complex = await connection.CallAsync(Call("GetComplex", ""));
        Assert.Equal("a{sa(ib)}vay", complex.Signature.Value);
        var dict = (Dictionary<object, object>)complex.Body[0];
        var pairs = (object[])dict["k"];
        Assert.Equal(new object[] { -1, true }, (object[])pairs[0]);
        var variant = (Variant)complex.Body[1];
        Assert.Equal("(xd)", variant.Signature.Value);
        Assert.Equal(new object[] { -5L, 2.5 }, (object[])variant.Value);
        Assert.Equal(new byte[] { 0, 0xff }, complex.Body[2]);

        var described = await connection.CallAsync(Call(
            "Describe",
            "a{sv}(yqnut)",
            [new Dictionary<string, Variant> { ["b"] = new("b", true), ["o"] = new("o", new ObjectPath("/x")), ["s"] = new("as", new[] { "p", "q" }) },
            new object[] { (byte)1, (ushort)2, (short)-3, 4u, 5UL }]));
        // python3-dbus shows an array by its element signature and marks that it came inside a variant.
        Assert.Equal("b=Boolean:1;o=ObjectPath:/x;s=s:dbus.Array([dbus.String('p'), dbus.String('q')], signature=dbus.Signature('s'), variant_level=1);1,2,-3,4,5", described.Body[0]);
    }

    [Fact]
    public async Task An_inhibitor_fd_holds_until_its_handle_is_disposed()
    {
        DBusTestTools.RequirePython();

        using var bus = new PrivateBus();
        using var service = await StartAsync(bus);
        await using var connection = await DBusConnection.ConnectAsync(bus.Address);
        var reply = await connection.CallAsync(Call("Inhibit", "ssss", ["shutdown:sleep", "image-update", "Writing an update", "block"]));
        var inhibitor = Assert.IsType<UnixFdHandle>(reply.Body[0]);
        Assert.False(inhibitor.IsInvalid);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(false, (await connection.CallAsync(Call("InhibitorReleased", ""))).Body[0]);

        inhibitor.Dispose();
        Assert.Equal(true, (await connection.CallAsync(Call("InhibitorReleased", ""))).Body[0]);
    }

    [Fact]
    public async Task A_python_exception_arrives_as_a_DBusErrorException()
    {
        DBusTestTools.RequirePython();

        using var bus = new PrivateBus();
        using var service = await StartAsync(bus);
        await using var connection = await DBusConnection.ConnectAsync(bus.Address);
        var error = await Assert.ThrowsAsync<DBusErrorException>(() => connection.CallAsync(Call("Fail", "")));
        Assert.Equal("org.example.Error.Failed", error.ErrorName);
        Assert.Equal("it failed", error.ErrorMessage);
    }

    [Fact]
    public async Task A_python_signal_reaches_our_match_rule()
    {
        DBusTestTools.RequirePython();

        using var bus = new PrivateBus();
        using var service = await StartAsync(bus);
        await using var connection = await DBusConnection.ConnectAsync(bus.Address);
        var received = new TaskCompletionSource<DBusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var owner = await connection.GetNameOwnerAsync(Name);
        await using var match = await connection.AddMatchAsync(
            new MatchRule { Sender = owner, Interface = Name, Member = "Progressed", Path = PathName },
            m => received.TrySetResult(m));
        await connection.CallAsync(Call("Emit", "u", [42u]));
        var signal = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new object[] { "step", 42u }, signal.Body);
    }

    private static DBusMessage Call(string member, DBusSignature signature, IReadOnlyList<object>? body = null) =>
        DBusMessage.MethodCall(Name, PathName, Name, member, signature, body);

    private static async Task<PythonProcess> StartAsync(PrivateBus bus)
    {
        var service = new PythonProcess(bus, "service", PythonScripts.Service);
        Assert.Equal("ready", await service.ReadLineAsync(TimeSpan.FromSeconds(30)));
        return service;
    }
}
