using System.IO.Pipes;
using ImageUpdate.Platform.DBus;
using ImageUpdate.Tests.Support;
using Microsoft.Win32.SafeHandles;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>Our adapter on Tmds.DBus.Protocol calling a python3-dbus service: fds both ways, the reply shape systemd uses, errors, signals.</summary>
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
        await using var connection = await BusConnection.ConnectAsync(bus.Address);

        var handle = await connection.CallAsync(
            Call("OpenPipe", "s", (ref MessageWriter w) => w.WriteString("hello through a pipe")),
            static (m, _) => BusConnection.ReadSingle(m, "h", "OpenPipe").ReadHandle<SafeFileHandle>());
        using (var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0))
        using (var text = new StreamReader(stream))
        {
            Assert.Equal("hello through a pipe", await text.ReadToEndAsync());
        }

        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        await pipe.WriteAsync("from C#"u8.ToArray());
        var readEnd = pipe.ClientSafePipeHandle;
        pipe.Dispose();
        var read = await connection.CallAsync(
            Call("ReadFd", "h", (ref MessageWriter w) => w.WriteHandle(readEnd)),
            static (m, _) => BusConnection.ReadSingle(m, "s", "ReadFd").ReadString());
        Assert.Equal("from C#", read);
    }

    [Fact]
    public async Task A_ListUnitsFiltered_shaped_reply_reads_with_its_types()
    {
        DBusTestTools.RequirePython();

        using var bus = new PrivateBus();
        using var service = await StartAsync(bus);
        await using var connection = await BusConnection.ConnectAsync(bus.Address);

        var units = await connection.CallAsync(
            Call("ListUnitsFiltered", "as", (ref MessageWriter w) => w.WriteArray(new[] { "failed" })),
            static (m, _) =>
            {
                var reader = BusConnection.ReadSingle(m, "a(ssssssouso)", "ListUnitsFiltered");
                var list = new List<(string Name, string Active, string Path, uint Job)>();
                var end = reader.ReadArrayStart(DBusType.Struct);
                while (reader.HasNext(end))
                {
                    var name = reader.ReadString();
                    reader.ReadString();
                    reader.ReadString();
                    var active = reader.ReadString();
                    reader.ReadString();
                    reader.ReadString();
                    var path = reader.ReadObjectPathAsString();
                    var job = reader.ReadUInt32();
                    reader.ReadString();
                    reader.ReadObjectPath();
                    list.Add((name, active, path, job));
                }

                return list;
            });
        Assert.Equal(("a.service", "failed", "/org/freedesktop/systemd1/unit/a_2eservice", 0u), Assert.Single(units));
    }

    [Fact]
    public async Task An_inhibitor_fd_holds_until_its_handle_is_disposed()
    {
        DBusTestTools.RequirePython();

        using var bus = new PrivateBus();
        using var service = await StartAsync(bus);
        await using var connection = await BusConnection.ConnectAsync(bus.Address);
        var inhibitor = await connection.CallAsync(
            Call("Inhibit", "ssss", (ref MessageWriter w) =>
            {
                w.WriteString("shutdown:sleep");
                w.WriteString("image-update");
                w.WriteString("Writing an update");
                w.WriteString("block");
            }),
            static (m, _) => BusConnection.ReadSingle(m, "h", "Inhibit").ReadHandle<SafeFileHandle>());
        Assert.False(inhibitor.IsInvalid);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.False(await ReleasedAsync(connection));

        inhibitor.Dispose();
        Assert.True(await Eventually.TrueAsync(() => ReleasedAsync(connection)));
    }

    [Fact]
    public async Task An_inhibitor_fd_that_arrives_after_the_call_timed_out_is_closed_not_left_to_the_GC()
    {
        DBusTestTools.RequirePython();

        using var bus = new PrivateBus();
        using var service = await StartAsync(bus);
        await using var connection = await BusConnection.ConnectAsync(bus.Address);
        connection.CallTimeout = TimeSpan.FromMilliseconds(200);
        await Assert.ThrowsAsync<DBusException>(() => connection.CallAsync(
            Call("SlowInhibit", "ssss", (ref MessageWriter w) =>
            {
                w.WriteString("shutdown:sleep");
                w.WriteString("image-update");
                w.WriteString("Writing an update");
                w.WriteString("block");
            }),
            static (m, _) => BusConnection.ReadSingle(m, "h", "Inhibit").ReadHandle<SafeFileHandle>()));

        connection.CallTimeout = TimeSpan.FromSeconds(25);
        Assert.True(await Eventually.TrueAsync(() => ReleasedAsync(connection), TimeSpan.FromSeconds(15)), "the late inhibitor fd was not closed");
    }

    [Fact]
    public async Task A_python_exception_arrives_as_a_DBusErrorException()
    {
        DBusTestTools.RequirePython();

        using var bus = new PrivateBus();
        using var service = await StartAsync(bus);
        await using var connection = await BusConnection.ConnectAsync(bus.Address);
        var error = await Assert.ThrowsAsync<DBusErrorException>(() => connection.CallAsync(Call("Fail", null, null)));
        Assert.Equal("org.example.Error.Failed", error.ErrorName);
        Assert.Equal("it failed", error.ErrorMessage);
        Assert.Equal("D-Bus error org.example.Error.Failed: it failed", error.Message);
    }

    [Fact]
    public async Task A_python_signal_reaches_a_match_rule()
    {
        DBusTestTools.RequirePython();

        using var bus = new PrivateBus();
        using var service = await StartAsync(bus);
        await using var connection = await BusConnection.ConnectAsync(bus.Address);
        var received = new TaskCompletionSource<(string, uint)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var owner = await DBusTestTools.GetNameOwnerAsync(connection, Name);
        using var match = await connection.Connection.AddMatchAsync(
            new MatchRule { Type = MessageType.Signal, Sender = owner, Interface = Name, Member = "Progressed", Path = PathName },
            static (m, _) =>
            {
                var reader = BusConnection.ReadSingle(m, "su", "Progressed");
                return (reader.ReadString(), reader.ReadUInt32());
            },
            (Notification<(string, uint)> notification) =>
            {
                if (notification.HasValue)
                {
                    received.TrySetResult(notification.Value);
                }
            },
            emitOnCapturedContext: false);
        await connection.CallAsync(Call("Emit", "u", (ref MessageWriter w) => w.WriteUInt32(42)));
        Assert.Equal(("step", 42u), await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static Task<bool> ReleasedAsync(BusConnection connection) =>
        connection.CallAsync(Call("InhibitorReleased", null, null), static (m, _) => BusConnection.ReadSingle(m, "b", "InhibitorReleased").ReadBool());

    private static DBusCall Call(string member, string? signature, BodyWriter? body) => new(Name, PathName, Name, member, signature, body);

    private static async Task<PythonProcess> StartAsync(PrivateBus bus)
    {
        var service = new PythonProcess(bus, "service", PythonScripts.Service);
        Assert.Equal("ready", await service.ReadLineAsync(TimeSpan.FromSeconds(30)));
        return service;
    }
}
