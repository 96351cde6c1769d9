using ImageUpdate.Platform.DBus;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>Our adapter (<see cref="BusConnection"/>) on Tmds.DBus.Protocol against a real dbus-daemon: connecting, typed errors, timeouts, a closed bus.</summary>
public sealed class DBusDaemonTests
{
    [Theory]
    [InlineData("session")]
    [InlineData("system")]
    public async Task Connecting_gets_a_unique_name_and_the_bus_reports_our_uid(string busType)
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus(busType);
        await using var connection = await BusConnection.ConnectAsync(bus.Address);
        Assert.StartsWith(":1.", connection.UniqueName, StringComparison.Ordinal);
        Assert.True(connection.IsConnected);
        Assert.Equal(ImageUpdate.Foundation.Native.Libc.GetEffectiveUserId(), await connection.GetConnectionUnixUserAsync(connection.UniqueName!));
    }

    [Fact]
    public async Task An_error_reply_is_a_typed_exception_with_name_and_message()
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus();
        await using var connection = await BusConnection.ConnectAsync(bus.Address);
        var error = await Assert.ThrowsAsync<DBusErrorException>(() => DBusTestTools.GetNameOwnerAsync(connection, "org.example.Nobody"));
        Assert.Equal("org.freedesktop.DBus.Error.NameHasNoOwner", error.ErrorName);
        Assert.Contains("org.example.Nobody", error.ErrorMessage, StringComparison.Ordinal);
        Assert.StartsWith("D-Bus error org.freedesktop.DBus.Error.NameHasNoOwner: ", error.Message, StringComparison.Ordinal);

        var unknown = await Assert.ThrowsAsync<DBusErrorException>(() =>
            connection.CallAsync(new DBusCall("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NoSuchMethod")));
        Assert.Equal("org.freedesktop.DBus.Error.UnknownMethod", unknown.ErrorName);
    }

    [Fact]
    public async Task A_reply_of_other_types_than_asked_is_a_protocol_error_naming_the_call()
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus();
        await using var connection = await BusConnection.ConnectAsync(bus.Address);
        var error = await Assert.ThrowsAsync<DBusProtocolException>(() => connection.CallAsync(
            new DBusCall("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId"),
            static (m, _) => BusConnection.ReadSingle(m, "u", "GetId").ReadUInt32()));
        Assert.Equal("The bus answered GetId with signature 's', not 'u'.", error.Message);
        Assert.True(connection.IsConnected);
    }

    [Fact]
    public async Task A_call_without_reply_times_out_and_a_cancelled_one_throws_cancellation()
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus();
        await using var server = await BusConnection.ConnectAsync(bus.Address);
        var never = new TaskCompletionSource<MethodReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Connection.AddMethodHandler(new SilentObject(never.Task));
        await using var client = await BusConnection.ConnectAsync(bus.Address);
        client.CallTimeout = TimeSpan.FromMilliseconds(300);
        var call = new DBusCall(server.UniqueName!, SilentObject.ObjectPath, SilentObject.Interface, "Wait");

        var timeout = await Assert.ThrowsAsync<DBusException>(() => client.CallAsync(call).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal($"No reply to org.example.Slow.Wait on {server.UniqueName} within 0.3 s.", timeout.Message);

        client.CallTimeout = Timeout.InfiniteTimeSpan;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CallAsync(call, cancel.Token).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(client.IsConnected);
        never.SetResult(MethodReply.Empty);
    }

    [Fact]
    public async Task A_closed_bus_fails_later_calls_with_a_typed_exception()
    {
        DBusTestTools.RequireDaemon();

        var bus = new PrivateBus();
        await using var connection = await BusConnection.ConnectAsync(bus.Address);
        bus.Dispose();
        await connection.Disconnected.WaitAsync(TimeSpan.FromSeconds(30));
        var error = await Assert.ThrowsAnyAsync<DBusException>(() => DBusTestTools.GetNameOwnerAsync(connection, "org.freedesktop.DBus").WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith("The D-Bus connection closed before org.freedesktop.DBus.GetNameOwner on org.freedesktop.DBus was answered: ", error.Message, StringComparison.Ordinal);
        Assert.False(connection.IsConnected);
    }

    [Fact]
    public async Task A_disposed_connection_says_it_is_disconnected_instead_of_throwing()
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus();
        var connection = await BusConnection.ConnectAsync(bus.Address);
        var before = connection.Disconnected;
        await connection.DisposeAsync();

        Assert.False(connection.IsConnected);
        Assert.True(connection.Disconnected.IsCompleted);
        await before.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Nothing_listening_at_the_address_is_a_typed_exception_naming_it()
    {
        using var dir = new Support.TempDirectory();
        var address = $"unix:path={dir["none"]}";
        var error = await Assert.ThrowsAsync<DBusException>(() => BusConnection.ConnectAsync(address).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith($"Cannot connect to D-Bus at '{address}': ", error.Message, StringComparison.Ordinal);
    }

    /// <summary>An object whose one method answers only when the test lets it.</summary>
    private sealed class SilentObject(Task<MethodReply> reply) : ExportedObject(ObjectPath, Interface, $"<interface name=\"{Interface}\"><method name=\"Wait\"/></interface>")
    {
        public const string ObjectPath = "/slow";
        public const string Interface = "org.example.Slow";

        protected override IReadOnlyList<string> PropertyNames => [];

        protected override void WriteProperty(ref MessageWriter writer, string name) => throw new InvalidOperationException();

        protected override async Task<MethodReply?> CallAsync(MethodContext context, string member) => await reply;
    }
}
