using System.Collections.Concurrent;
using ImageUpdate.Foundation.Errors;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// image-update's own D-Bus client, written because Tmds.DBus (the usual C# implementation) is not
/// served by the package registry here; it replaces Tmds.DBus and can be swapped for it when served.
/// It covers D-Bus Specification 0.41 as far as image-update needs it:
/// <list type="bullet">
/// <item>transport: unix sockets from an address string (<see cref="DBusAddress"/>; the system bus from
/// $DBUS_SYSTEM_BUS_ADDRESS), SASL EXTERNAL, NEGOTIATE_UNIX_FD, Hello;</item>
/// <item>wire format: every basic and container type in both byte orders (<see cref="MessageWriter"/>,
/// <see cref="MessageReader"/>, <see cref="DBusMessage"/>), every spec limit checked, malformed input a
/// <see cref="DBusProtocolException"/>; unix fds both ways (<see cref="UnixFdHandle"/>);</item>
/// <item>client: <see cref="CallAsync"/> with replies and <see cref="DBusErrorException"/>, signals through
/// <see cref="AddMatchAsync"/>, bus driver calls (RequestName, GetConnectionUnixUser, ...);</item>
/// <item>server: <see cref="RegisterObject"/> exports <see cref="DBusObject"/>s whose methods are
/// delegates, with org.freedesktop.DBus.Properties, .Introspectable and .Peer provided here, and
/// <see cref="EmitSignalAsync"/> / <see cref="EmitPropertiesChangedAsync"/>.</item>
/// </list>
/// A dedicated thread reads; replies complete their calls, signals run their handlers on that thread
/// (keep them short, never block on a call), method calls run on the thread pool. Sends are
/// serialised under a lock. Partial files: .Bus.cs (bus driver), .Exports.cs (exported objects).
/// </summary>
public sealed partial class DBusConnection : IAsyncDisposable, IDisposable
{
    private const string BusName = "org.freedesktop.DBus";
    private const int ReceiveChunk = 64 * 1024;

    private readonly DBusSocket _socket;
    private readonly ILogger? _logger;
    private readonly object _sendLock = new();
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<DBusMessage>> _pending = new();
    private readonly Thread _reader;
    private readonly byte[] _receiveBuffer = new byte[ReceiveChunk];
    private readonly List<UnixFdHandle> _receivedFds = [];
    private int _receiveStart;
    private int _receiveEnd;
    private int _serial;
    private Exception? _closed;

    private DBusConnection(DBusSocket socket, bool unixFds, ILogger? logger)
    {
        _socket = socket;
        UnixFdsSupported = unixFds;
        _logger = logger;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "D-Bus reader" };
    }

    /// <summary>This connection's unique name (":1.42"), or null on a peer-to-peer connection.</summary>
    public string? UniqueName { get; private set; }

    /// <summary>Whether the server agreed to NEGOTIATE_UNIX_FD; without it 'h' values cannot be sent.</summary>
    public bool UnixFdsSupported { get; }

    /// <summary>How long <see cref="CallAsync"/> waits for a reply (libdbus's default, 25 s); infinite is allowed.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(25);

    public bool IsConnected => _closed is null;

    /// <summary>Connects, authenticates and, for a message bus, says Hello.</summary>
    public static async Task<DBusConnection> ConnectAsync(string address, bool isMessageBus = true, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var connection = await Task.Run(
            () =>
            {
                var socket = DBusSocket.Connect(address);
                try
                {
                    socket.SetReceiveTimeout(TimeSpan.FromSeconds(25));
                    var (_, unixFds) = DBusAuthenticator.Authenticate(socket);
                    socket.SetReceiveTimeout(TimeSpan.Zero);
                    return new DBusConnection(socket, unixFds, logger);
                }
                catch (IOException e)
                {
                    socket.Dispose();
                    throw new DBusException($"D-Bus authentication with '{UntrustedText.Escape(address)}' failed: {e.Message}", e);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            cancellationToken).ConfigureAwait(false);
        connection._reader.Start();
        if (isMessageBus)
        {
            try
            {
                var reply = await connection.CallAsync(DBusMessage.MethodCall(BusName, "/org/freedesktop/DBus", BusName, "Hello"), cancellationToken).ConfigureAwait(false);
                connection.UniqueName = reply.Body.Count == 1 && reply.Body[0] is string name
                    ? name
                    : throw new DBusProtocolException("The bus answered Hello without a unique name.");
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        return connection;
    }

    /// <summary>Sends a message (a signal, a reply, a call without reply) and returns the serial it got.</summary>
    public Task<uint> SendAsync(DBusMessage message, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Send(message, null));
    }

    /// <summary>
    /// Calls a method and returns its METHOD_RETURN; an ERROR reply throws <see cref="DBusErrorException"/>,
    /// no reply within <see cref="CallTimeout"/> throws <see cref="DBusException"/>.
    /// </summary>
    public async Task<DBusMessage> CallAsync(DBusMessage call, CancellationToken cancellationToken = default)
    {
        if (call.Type != MessageType.MethodCall || call.Flags.HasFlag(MessageFlags.NoReplyExpected))
        {
            throw new ArgumentException("CallAsync needs a method call that expects a reply; use SendAsync otherwise.", nameof(call));
        }

        var reply = new TaskCompletionSource<DBusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var serial = Send(call, reply);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (CallTimeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(CallTimeout);
        }

        DBusMessage message;
        using (timeout.Token.Register(() => reply.TrySetCanceled()))
        {
            try
            {
                message = await reply.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DBusException($"No reply to {UntrustedText.Escape(call.Interface ?? "")}.{UntrustedText.Escape(call.Member ?? "")} on {UntrustedText.Escape(call.Destination ?? "")} within {CallTimeout.TotalSeconds} s.");
            }
            finally
            {
                _pending.TryRemove(serial, out _);
            }
        }

        if (message.Type == MessageType.Error)
        {
            message.DisposeUnixFds();
            throw message.ToException();
        }

        return message;
    }

    public void Dispose()
    {
        Close(new DBusException("The D-Bus connection was closed."));
        if (Thread.CurrentThread != _reader && _reader.IsAlive)
        {
            _reader.Join(TimeSpan.FromSeconds(5));
        }

        _socket.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private uint Send(DBusMessage message, TaskCompletionSource<DBusMessage>? reply)
    {
        if (_closed is { } closed)
        {
            throw new DBusException($"The D-Bus connection is closed: {closed.Message}", closed);
        }

        lock (_sendLock)
        {
            var serial = (uint)Interlocked.Increment(ref _serial);
            if (serial == 0)
            {
                serial = (uint)Interlocked.Increment(ref _serial);
            }

            var (bytes, fds) = (message with { Serial = serial }).Encode();
            if (fds.Count > 0 && !UnixFdsSupported)
            {
                throw new DBusException("The D-Bus server did not agree to unix fd passing, so a message with fds cannot be sent.");
            }

            if (reply is not null)
            {
                _pending[serial] = reply;
            }

            try
            {
                _socket.Send(bytes, fds);
            }
            catch (IOException e)
            {
                _pending.TryRemove(serial, out _);
                throw new DBusException($"Cannot send on the D-Bus connection: {e.Message}", e);
            }

            return serial;
        }
    }

    private void ReadLoop()
    {
        try
        {
            var fixedHeader = new byte[DBusLimits.FixedHeaderLength];
            while (_closed is null)
            {
                if (!ReadExactly(fixedHeader))
                {
                    Close(new DBusException("The D-Bus server closed the connection."));
                    return;
                }

                var bytes = new byte[DBusMessage.GetTotalLength(fixedHeader)];
                fixedHeader.CopyTo(bytes, 0);
                if (!ReadExactly(bytes.AsSpan(DBusLimits.FixedHeaderLength)))
                {
                    Close(new DBusException("The D-Bus server closed the connection in the middle of a message."));
                    return;
                }

                var message = DBusMessage.Decode(bytes, _receivedFds);
                _receivedFds.RemoveRange(0, message.UnixFds.Count);
                if (_receiveStart == _receiveEnd)
                {
                    // Fds travel with the first byte of their message; with no bytes buffered, any
                    // still queued came with messages that did not declare them. Close, never misattribute.
                    foreach (var stray in _receivedFds)
                    {
                        stray.Dispose();
                    }

                    _receivedFds.Clear();
                }

                Dispatch(message);
            }
        }
        catch (Exception e) when (e is DBusException or IOException)
        {
            // §Message Format: a peer that sends a malformed message is disconnected.
            _logger?.LogDebug(e, "D-Bus connection dropped");
            Close(e as DBusException ?? new DBusException($"The D-Bus connection failed: {e.Message}", e));
        }
    }

    private bool ReadExactly(Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            if (_receiveStart == _receiveEnd)
            {
                var fds = new List<int>();
                var count = _socket.Receive(_receiveBuffer, fds);
                _receivedFds.AddRange(fds.Select(fd => new UnixFdHandle(fd)));
                if (count == 0)
                {
                    return false;
                }

                _receiveStart = 0;
                _receiveEnd = count;
            }

            var take = Math.Min(destination.Length, _receiveEnd - _receiveStart);
            _receiveBuffer.AsSpan(_receiveStart, take).CopyTo(destination);
            _receiveStart += take;
            destination = destination[take..];
        }

        return true;
    }

    private void Dispatch(DBusMessage message)
    {
        switch (message.Type)
        {
            case MessageType.MethodReturn or MessageType.Error:
                if (_pending.TryRemove(message.ReplySerial!.Value, out var reply))
                {
                    if (!reply.TrySetResult(message))
                    {
                        message.DisposeUnixFds();
                    }
                }
                else
                {
                    message.DisposeUnixFds();
                }

                break;
            case MessageType.Signal:
                DispatchSignal(message);
                break;
            case MessageType.MethodCall:
                _ = Task.Run(() => HandleCallAsync(message));
                break;
            default:
                // §Message Types: "Unknown types must be ignored."
                message.DisposeUnixFds();
                break;
        }
    }

    private void Close(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _closed, reason, null) is not null)
        {
            return;
        }

        _socket.Shutdown();
        foreach (var serial in _pending.Keys)
        {
            if (_pending.TryRemove(serial, out var pending))
            {
                pending.TrySetException(new DBusException($"The D-Bus connection closed before the reply came: {reason.Message}", reason));
            }
        }
    }
}
