using ImageUpdate.Platform.DBus;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>Our client against a real dbus-daemon: authentication, Hello, the bus driver's methods, errors, signals.</summary>
public sealed class DBusDaemonTests
{
    [Theory]
    [InlineData("session")]
    [InlineData("system")]
    public async Task Connecting_authenticates_negotiates_fds_and_gets_a_unique_name(string busType)
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus(busType);
        await using var connection = await DBusConnection.ConnectAsync(bus.Address);
        Assert.StartsWith(":1.", connection.UniqueName, StringComparison.Ordinal);
        Assert.True(connection.UnixFdsSupported);
        Assert.Equal(ImageUpdate.Foundation.Native.Libc.GetEffectiveUserId(), await connection.GetConnectionUnixUserAsync(connection.UniqueName!));
    }

    [Fact]
    public async Task Bus_driver_methods_answer_with_their_documented_types()
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus();
        await using var connection = await DBusConnection.ConnectAsync(bus.Address);
        Assert.Equal(RequestNameReply.PrimaryOwner, await connection.RequestNameAsync("org.example.Ours", RequestNameFlags.DoNotQueue));
        Assert.Equal(RequestNameReply.AlreadyOwner, await connection.RequestNameAsync("org.example.Ours"));
        Assert.Equal(connection.UniqueName, await connection.GetNameOwnerAsync("org.example.Ours"));
        Assert.True(await connection.NameHasOwnerAsync("org.example.Ours"));

        var names = await connection.CallAsync(DBusMessage.MethodCall("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ListNames"));
        Assert.Equal("as", names.Signature.Value);
        Assert.Contains("org.example.Ours", ((object[])names.Body[0]).Cast<string>());

        var id = await connection.CallAsync(DBusMessage.MethodCall("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId"));
        Assert.Matches("^[0-9a-f]{32}$", (string)id.Body[0]);
        Assert.Equal(1u, await connection.ReleaseNameAsync("org.example.Ours"));
    }

    [Fact]
    public async Task An_error_reply_is_a_typed_exception_with_name_and_message()
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus();
        await using var connection = await DBusConnection.ConnectAsync(bus.Address);
        var error = await Assert.ThrowsAsync<DBusErrorException>(() => connection.GetNameOwnerAsync("org.example.Nobody"));
        Assert.Equal("org.freedesktop.DBus.Error.NameHasNoOwner", error.ErrorName);
        Assert.Contains("org.example.Nobody", error.ErrorMessage, StringComparison.Ordinal);

        var unknown = await Assert.ThrowsAsync<DBusErrorException>(() =>
            connection.CallAsync(DBusMessage.MethodCall("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NoSuchMethod")));
        Assert.Equal("org.freedesktop.DBus.Error.UnknownMethod", unknown.ErrorName);
    }

    [Fact]
    public async Task Signals_from_one_connection_reach_a_match_rule_on_another_and_only_matching_ones()
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus();
        await using var sender = await DBusConnection.ConnectAsync(bus.Address);
        await using var receiver = await DBusConnection.ConnectAsync(bus.Address);
        var received = new TaskCompletionSource<DBusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var other = 0;
        await using (await receiver.AddMatchAsync(new MatchRule { Interface = "org.example.Events", Member = "Happened", Sender = sender.UniqueName }, m => received.TrySetResult(m)))
        await using (await receiver.AddMatchAsync(new MatchRule { Interface = "org.example.Events", Member = "Other" }, _ => Interlocked.Increment(ref other)))
        {
            await sender.EmitSignalAsync("/org/example", "org.example.Events", "Ignored", "s", ["no"]);
            await sender.EmitSignalAsync("/org/example", "org.example.Events", "Happened", "sa{sv}", ["yes", new Dictionary<string, Variant> { ["n"] = new("t", 5UL) }]);
            var signal = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(sender.UniqueName, signal.Sender);
            Assert.Equal("yes", signal.Body[0]);
            Assert.Equal(5UL, ((Variant)((Dictionary<object, object>)signal.Body[1])["n"]).Value);
            Assert.Equal(0, other);
        }
    }

    [Fact]
    public async Task A_call_without_reply_times_out_and_a_cancelled_one_throws_cancellation()
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus();
        await using var server = await DBusConnection.ConnectAsync(bus.Address);
        var never = new TaskCompletionSource<DBusReply>();
        server.RegisterObject(new DBusObject("/slow").AddInterface(new DBusInterface("org.example.Slow").AddMethod("Wait", "", "", _ => new ValueTask<DBusReply>(never.Task))));
        await using var client = await DBusConnection.ConnectAsync(bus.Address);
        client.CallTimeout = TimeSpan.FromMilliseconds(300);
        var call = DBusMessage.MethodCall(server.UniqueName, "/slow", "org.example.Slow", "Wait");

        var timeout = await Assert.ThrowsAsync<DBusException>(() => client.CallAsync(call));
        Assert.Contains("No reply to org.example.Slow.Wait", timeout.Message, StringComparison.Ordinal);

        client.CallTimeout = Timeout.InfiniteTimeSpan;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CallAsync(call, cancel.Token));
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task A_closed_bus_fails_pending_and_later_calls_with_a_typed_exception()
    {
        DBusTestTools.RequireDaemon();

        var bus = new PrivateBus();
        await using var connection = await DBusConnection.ConnectAsync(bus.Address);
        bus.Dispose();
        await Assert.ThrowsAnyAsync<DBusException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await connection.GetNameOwnerAsync("org.freedesktop.DBus");
                await Task.Delay(50);
            }
        });
        Assert.False(connection.IsConnected);
    }

    [Fact]
    public async Task Nothing_listening_at_the_address_is_a_typed_exception_naming_it()
    {
        using var dir = new Support.TempDirectory();
        var error = await Assert.ThrowsAsync<DBusException>(() => DBusConnection.ConnectAsync($"unix:path={dir["none"]};unix:abstract=image-update-test-none-{Guid.NewGuid():N}"));
        Assert.Contains(dir["none"], error.Message, StringComparison.Ordinal);
        Assert.Contains("@image-update-test-none-", error.Message, StringComparison.Ordinal);
    }
}
