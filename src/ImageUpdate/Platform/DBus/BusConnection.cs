using System.Globalization;
using ImageUpdate.Foundation.Errors;
using Microsoft.Extensions.Logging;
using Tmds.DBus.Protocol;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// A connection to a message bus, on Tmds.DBus.Protocol's <see cref="DBusConnection"/> (which does the
/// transport, SASL EXTERNAL with unix fds, Hello, the wire format, dispatch of replies, signals and
/// exported objects). What is ours, and why:
/// <list type="bullet">
/// <item>timeouts: the package's calls wait forever and take no cancellation token, so a peer that
/// never answers would hang an update; here every connect and call has a deadline
/// (<see cref="CallTimeout"/>, libdbus's 25 s by default) and honours the caller's token;</item>
/// <item>errors: everything the package or a hostile peer can throw (an error reply, a dropped
/// connection, a malformed or wrongly typed reply) becomes one of our <see cref="DBusException"/>
/// family, one sentence with untrusted text escaped, which the program prints as its one error line;</item>
/// <item>GetConnectionUnixUser, which the package does not wrap (serve's root-only writes).</item>
/// </list>
/// </summary>
public sealed class BusConnection : IAsyncDisposable, IDisposable
{
    private const string BusName = "org.freedesktop.DBus";
    private const string BusPath = "/org/freedesktop/DBus";

    private readonly Lock _exportGate = new();
    private ObjectTree? _objects;

    private BusConnection(DBusConnection connection, TimeSpan callTimeout)
    {
        Connection = connection;
        CallTimeout = callTimeout;
    }

    /// <summary>The package's connection: for exported objects and signals.</summary>
    public DBusConnection Connection { get; }

    /// <summary>Where exported objects log unexpected failures of their handlers.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>How long a call (and the connect) may wait for an answer; <see cref="Timeout.InfiniteTimeSpan"/> is allowed.</summary>
    public TimeSpan CallTimeout { get; set; }

    /// <summary>This connection's unique name (":1.42").</summary>
    public string? UniqueName => Connection.UniqueName;

    /// <summary>Completes when the connection is gone (the bus closed it, it failed, or it was disposed).</summary>
    public Task Disconnected
    {
        get
        {
            try
            {
                return Connection.DisconnectedAsync();
            }
            catch (ObjectDisposedException)
            {
                // The package refuses to answer once disposed: disposed is disconnected.
                return Task.CompletedTask;
            }
        }
    }

    public bool IsConnected => !Disconnected.IsCompleted;

    /// <summary>Connects to the bus at <paramref name="address"/>, authenticates and says Hello, within <paramref name="timeout"/> (25 s by default).</summary>
    public static async Task<BusConnection> ConnectAsync(string address, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var deadline = timeout ?? TimeSpan.FromSeconds(25);
        DBusConnection connection;
        try
        {
            connection = new DBusConnection(address);
        }
        catch (ArgumentException e)
        {
            throw new DBusException($"D-Bus address '{UntrustedText.Escape(address)}' is invalid: {UntrustedText.Escape(e.Message)}", e);
        }

        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(deadline, cancellationToken).ConfigureAwait(false);
            return new BusConnection(connection, deadline);
        }
        catch (TimeoutException)
        {
            connection.Dispose();
            throw new DBusException($"No answer from the D-Bus at '{UntrustedText.Escape(address)}' within {Seconds(deadline)} s.");
        }
        catch (OperationCanceledException)
        {
            connection.Dispose();
            throw;
        }
        catch (Exception e)
        {
            connection.Dispose();
            throw new DBusException($"Cannot connect to D-Bus at '{UntrustedText.Escape(address)}': {Describe(e)}", e);
        }
    }

    /// <summary>
    /// Calls a method and reads its reply with <paramref name="reader"/> (which should check the reply's
    /// signature: the package reads bytes as asked, whatever the peer declared). An error reply throws
    /// <see cref="DBusErrorException"/>; no answer within <see cref="CallTimeout"/>, a closed connection or
    /// a malformed reply throw <see cref="DBusException"/>; the caller's token throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<T> CallAsync<T>(DBusCall call, MessageValueReader<T> reader, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Task<T>? pending = null;
        try
        {
            pending = Connection.CallMethodAsync(CreateMessage(call), reader);
            return await pending.WaitAsync(CallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (pending is { IsCompleted: false })
            {
                _ = DisposeLateResultAsync(pending);
            }

            if (e is OperationCanceledException)
            {
                throw;
            }

            throw Translate(call, e);
        }
    }

    /// <summary>Calls a method whose reply has no body worth reading.</summary>
    public Task CallAsync(DBusCall call, CancellationToken cancellationToken = default) =>
        CallAsync(call, static (_, _) => true, cancellationToken);

    /// <summary>The uid of the process behind a bus name, as the bus saw it at connect time: the basis for "write methods only for root".</summary>
    public Task<uint> GetConnectionUnixUserAsync(string busName, CancellationToken cancellationToken = default) =>
        CallAsync(
            new DBusCall(BusName, BusPath, BusName, "GetConnectionUnixUser", "s", (ref MessageWriter w) => w.WriteString(busName)),
            static (message, _) => ReadSingle(message, "u", "GetConnectionUnixUser").ReadUInt32(),
            cancellationToken);

    /// <summary>Exports objects on this connection; a call to a path without one gets UnknownObject (see <see cref="ObjectTree"/>).</summary>
    public void Export(params IEnumerable<ExportedObject> objects)
    {
        ObjectTree tree;
        lock (_exportGate)
        {
            if (_objects is null)
            {
                _objects = new ObjectTree();
                Connection.AddMethodHandler(_objects);
            }

            tree = _objects;
        }

        foreach (var obj in objects)
        {
            obj.Logger ??= Logger;
            tree.Add(obj);
        }
    }

    /// <summary>Stops exporting the object at <paramref name="path"/>: later calls to it get UnknownObject.</summary>
    public bool Unexport(string path)
    {
        lock (_exportGate)
        {
            return _objects?.Remove(path) ?? false;
        }
    }

    /// <summary>
    /// Checks that a reply has exactly <paramref name="signature"/> and returns its body reader:
    /// for readers handed to <see cref="CallAsync{T}"/>. <paramref name="peer"/> starts the error
    /// sentence ("logind answered Inhibit with signature …").
    /// </summary>
    public static Reader ReadSingle(Message message, string signature, string what, string peer = "The bus") =>
        message.SignatureAsString == signature
            ? message.GetBodyReader()
            : throw new DBusProtocolException($"{peer} answered {what} with signature '{UntrustedText.Escape(message.SignatureAsString ?? "")}', not '{signature}'.");

    public void Dispose() => Connection.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The package cannot cancel a call, so after a timeout or cancellation its reply may still come:
    /// a result that holds something (logind's inhibitor fd, which blocks shutdown while open) is
    /// disposed then instead of when the GC finds it.
    /// </summary>
    private static async Task DisposeLateResultAsync<T>(Task<T> pending)
    {
        try
        {
            (await pending.ConfigureAwait(false) as IDisposable)?.Dispose();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The late reply failed: nothing to dispose, and nobody waits for the error.
        }
    }

    private MessageBuffer CreateMessage(DBusCall call)
    {
        var writer = Connection.GetMessageWriter();
        try
        {
            writer.WriteMethodCallHeader(call.Destination, call.Path, call.Interface, call.Member, call.Signature);
            call.Body?.Invoke(ref writer);
            return writer.CreateMessage();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private DBusException Translate(DBusCall call, Exception e) => e switch
    {
        DBusException ours => ours,
        DBusErrorReplyException reply => new DBusErrorException(reply.ErrorName, reply.ErrorMessage),
        TimeoutException => new DBusException($"No reply to {UntrustedText.Escape(call.ToString())} within {Seconds(CallTimeout)} s."),
        DBusConnectionException or ObjectDisposedException => new DBusException($"The D-Bus connection closed before {UntrustedText.Escape(call.ToString())} was answered: {Describe(e)}", e),

        // What is left comes from reading a reply a peer made: malformed or of other types than asked.
        _ => new DBusProtocolException($"Malformed reply to {UntrustedText.Escape(call.ToString())}: {Describe(e)}", e),
    };

    private static string Describe(Exception e)
    {
        var message = e.InnerException is { } inner && inner.Message != e.Message ? $"{e.Message} ({inner.Message})" : e.Message;
        return UntrustedText.Escape(message);
    }

    private static string Seconds(TimeSpan timeout) => timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
}
