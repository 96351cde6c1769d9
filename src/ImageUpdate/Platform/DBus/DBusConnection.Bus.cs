using ImageUpdate.Foundation.Errors;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Platform.DBus;

/// <summary>Calls to the bus driver org.freedesktop.DBus (D-Bus Specification 0.41 §Message Bus Messages) and signal subscriptions.</summary>
public sealed partial class DBusConnection
{
    private readonly List<(MatchRule Rule, Action<DBusMessage> Handler)> _signalHandlers = [];

    public async Task<RequestNameReply> RequestNameAsync(string name, RequestNameFlags flags = RequestNameFlags.None, CancellationToken cancellationToken = default)
    {
        var reply = await CallBusAsync("RequestName", "su", [DBusNames.CheckBusName(name), (uint)flags], cancellationToken).ConfigureAwait(false);
        return (RequestNameReply)Single<uint>(reply, "RequestName");
    }

    /// <summary>Returns 1 released, 2 non-existent, 3 not owner (the spec's codes).</summary>
    public async Task<uint> ReleaseNameAsync(string name, CancellationToken cancellationToken = default) =>
        Single<uint>(await CallBusAsync("ReleaseName", "s", [DBusNames.CheckBusName(name)], cancellationToken).ConfigureAwait(false), "ReleaseName");

    /// <summary>The uid of the process behind a bus name, as the bus saw it at connect time: the basis for "write methods only for root".</summary>
    public async Task<uint> GetConnectionUnixUserAsync(string busName, CancellationToken cancellationToken = default) =>
        Single<uint>(await CallBusAsync("GetConnectionUnixUser", "s", [DBusNames.CheckBusName(busName)], cancellationToken).ConfigureAwait(false), "GetConnectionUnixUser");

    public async Task<string> GetNameOwnerAsync(string name, CancellationToken cancellationToken = default) =>
        Single<string>(await CallBusAsync("GetNameOwner", "s", [DBusNames.CheckBusName(name)], cancellationToken).ConfigureAwait(false), "GetNameOwner");

    public async Task<bool> NameHasOwnerAsync(string name, CancellationToken cancellationToken = default) =>
        Single<bool>(await CallBusAsync("NameHasOwner", "s", [DBusNames.CheckBusName(name)], cancellationToken).ConfigureAwait(false), "NameHasOwner");

    /// <summary>
    /// Asks the bus to route messages matching <paramref name="rule"/> here and runs
    /// <paramref name="handler"/> (on the reader thread) for each. Disposing the result removes both.
    /// </summary>
    public async Task<IAsyncDisposable> AddMatchAsync(MatchRule rule, Action<DBusMessage> handler, CancellationToken cancellationToken = default)
    {
        var entry = (rule, handler);
        lock (_signalHandlers)
        {
            _signalHandlers.Add(entry);
        }

        try
        {
            if (UniqueName is not null)
            {
                await CallBusAsync("AddMatch", "s", [rule.ToString()], cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            RemoveHandler(entry);
            throw;
        }

        return new Subscription(this, entry);
    }

    private void DispatchSignal(DBusMessage message)
    {
        (MatchRule Rule, Action<DBusMessage> Handler)[] handlers;
        lock (_signalHandlers)
        {
            handlers = [.. _signalHandlers];
        }

        foreach (var (rule, handler) in handlers)
        {
            if (!rule.Matches(message))
            {
                continue;
            }

            try
            {
                handler(message);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A handler's bug must not take the connection down with it.
                _logger?.LogWarning(e, "D-Bus signal handler for {Rule} failed", rule.ToString());
            }
        }
    }

    private void RemoveHandler((MatchRule Rule, Action<DBusMessage> Handler) entry)
    {
        lock (_signalHandlers)
        {
            _signalHandlers.Remove(entry);
        }
    }

    private Task<DBusMessage> CallBusAsync(string member, DBusSignature signature, object[] body, CancellationToken cancellationToken) =>
        CallAsync(DBusMessage.MethodCall(BusName, "/org/freedesktop/DBus", BusName, member, signature, body), cancellationToken);

    private static T Single<T>(DBusMessage reply, string member) => reply.Body.Count == 1 && reply.Body[0] is T value
        ? value
        : throw new DBusProtocolException($"The bus answered {member} with signature '{UntrustedText.Escape(reply.Signature.Value)}'.");

    /// <summary>Undoes one <see cref="AddMatchAsync"/>: the local handler at once, the bus rule with RemoveMatch.</summary>
    private sealed class Subscription(DBusConnection connection, (MatchRule Rule, Action<DBusMessage> Handler) entry) : IAsyncDisposable
    {
        private int _disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            connection.RemoveHandler(entry);
            if (connection.UniqueName is not null && connection.IsConnected)
            {
                await connection.CallBusAsync("RemoveMatch", "s", [entry.Rule.ToString()], CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
