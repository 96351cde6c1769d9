using System.Net.Sockets;
using System.Text.Json;
using ImageUpdate.Foundation.Errors;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Platform.Varlink;

/// <summary>
/// Serves Varlink calls: org.varlink.service (GetInfo, GetInterfaceDescription) itself and every
/// other interface through its <see cref="IVarlinkInterface"/>. Calls on one connection are answered
/// in order; a oneway call gets no reply. A message that is not a call (not JSON, no method, over the
/// size bound, cut off by a hang-up) ends the connection with one warning line quoting it escaped,
/// as sd-varlink ends it without an answer.
/// </summary>
public sealed class VarlinkServer
{
    private readonly VarlinkServerInfo _info;
    private readonly Dictionary<string, IVarlinkInterface> _interfaces;
    private readonly ILogger _logger;

    /// <summary>
    /// How long a connection may stay without sending a whole call before it is closed: with
    /// Accept=yes every connection is a process of its own, and a client that connects and never
    /// finishes a message must not keep one (and a connection slot) forever.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(1);

    public VarlinkServer(VarlinkServerInfo info, IEnumerable<IVarlinkInterface> interfaces, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(interfaces);
        ArgumentNullException.ThrowIfNull(logger);
        _info = info;
        _interfaces = interfaces.ToDictionary(i => i.Name, StringComparer.Ordinal);
        _logger = logger;
    }

    /// <summary>Every interface GetInfo names, sorted as sd-varlink lists them.</summary>
    public IReadOnlyList<string> InterfaceNames =>
        [.. _interfaces.Keys.Append(VarlinkService.Interface).Append(VarlinkService.SystemdInterface).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// Serves a passed socket: a connection until the client hangs up, or a listening socket's
    /// connections (each in turn concurrently) until <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!SocketActivation.IsListening(socket))
        {
            await using var connection = new VarlinkConnection(socket);
            await ServeConnectionAsync(connection, cancellationToken).ConfigureAwait(false);
            return;
        }

        var running = new List<Task>();
        using (socket)
        {
            try
            {
                while (true)
                {
                    var accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
                    running.RemoveAll(t => t.IsCompleted);
                    running.Add(Task.Run(async () =>
                    {
                        try
                        {
                            await using var connection = new VarlinkConnection(accepted);
                            await ServeConnectionAsync(connection, cancellationToken).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            // Never a silently dropped faulted task: every connection's end is accounted for.
                            _logger.LogWarning("Varlink connection closed: {Message}", UntrustedText.Escape(e.Message));
                        }
                    }, CancellationToken.None));
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <summary>Answers one connection's calls until the client hangs up, breaks the protocol, or the token fires.</summary>
    public async Task ServeConnectionAsync(VarlinkConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var peer = new VarlinkPeer(connection.PeerUserId);
        try
        {
            while (true)
            {
                VarlinkCall? call;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    idle.CancelAfter(IdleTimeout);
                    try
                    {
                        call = await connection.ReadCallAsync(idle.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        _logger.LogDebug("Varlink connection idle for {Seconds} s, closing.", IdleTimeout.TotalSeconds);
                        return;
                    }
                }

                if (call is null)
                {
                    break;
                }

                await AnswerAsync(connection, call, peer, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (VarlinkException e) when (e is not VarlinkErrorException)
        {
            _logger.LogWarning("Varlink connection closed: {Message}", e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever else a client provokes ends its connection with one line, never the service.
            _logger.LogWarning("Varlink connection closed: {Message}", UntrustedText.Escape(e.Message));
        }
    }

    private async Task AnswerAsync(VarlinkConnection connection, VarlinkCall call, VarlinkPeer peer, CancellationToken cancellationToken)
    {
        Action<Utf8JsonWriter>? reply;
        try
        {
            reply = await DispatchAsync(call, peer, cancellationToken).ConfigureAwait(false);
        }
        catch (VarlinkErrorException e)
        {
            if (!call.Oneway)
            {
                await connection.SendErrorAsync(e.Error, e.WriteParameters, cancellationToken).ConfigureAwait(false);
            }

            return;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The handler's own failure: logged in full here, answered as an I/O error as systemd answers a negative errno.
            _logger.LogError("{Method} failed: {Message}", UntrustedText.Escape(call.Method), UntrustedText.Escape(e.Message));
            if (!call.Oneway)
            {
                await connection.SendErrorAsync(VarlinkService.SystemError, w =>
                {
                    w.WriteString("origin", "linux");
                    w.WriteNumber("errno", 5);
                    w.WriteString("errnoName", "EIO");
                }, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (!call.Oneway)
        {
            await connection.SendReplyAsync(reply, continues: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<Action<Utf8JsonWriter>?> DispatchAsync(VarlinkCall call, VarlinkPeer peer, CancellationToken cancellationToken)
    {
        var name = call.Interface;
        if (name == VarlinkService.Interface)
        {
            return Task.FromResult(ServiceCall(call));
        }

        return _interfaces.TryGetValue(name, out var target)
            ? target.CallAsync(call.Method[(name.Length + 1)..], call, peer, cancellationToken)
            : throw MethodNotFound(call.Method); // sd-varlink answers an unknown interface so too
    }

    private Action<Utf8JsonWriter>? ServiceCall(VarlinkCall call)
    {
        switch (call.Method)
        {
            case VarlinkService.GetInfo:
                RequireOnly(call.Parameters);
                return w =>
                {
                    w.WriteString("vendor", _info.Vendor);
                    w.WriteString("product", _info.Product);
                    w.WriteString("version", _info.Version);
                    w.WriteString("url", _info.Url);
                    w.WriteStartArray("interfaces");
                    foreach (var name in InterfaceNames)
                    {
                        w.WriteStringValue(name);
                    }

                    w.WriteEndArray();
                };
            case VarlinkService.GetInterfaceDescription:
                RequireOnly(call.Parameters, "interface");
                if (!call.Parameters.TryGetProperty("interface", out var asked) || asked.ValueKind != JsonValueKind.String)
                {
                    throw VarlinkErrorException.InvalidParameter("interface");
                }

                var description = asked.GetString() switch
                {
                    VarlinkService.Interface => VarlinkService.Description,
                    VarlinkService.SystemdInterface => VarlinkService.SystemdDescription,
                    { } other when _interfaces.TryGetValue(other, out var known) => known.Description,
                    var other => throw new VarlinkErrorException(VarlinkService.InterfaceNotFound, w => w.WriteString("interface", other)),
                };
                return w => w.WriteString("description", description);
            default:
                throw MethodNotFound(call.Method);
        }
    }

    public static VarlinkErrorException MethodNotFound(string method) =>
        new(VarlinkService.MethodNotFound, w => w.WriteString("method", method));

    /// <summary>sd_varlink_dispatch's rule: a parameter the method does not take is refused, naming it.</summary>
    public static void RequireOnly(JsonElement parameters, params ReadOnlySpan<string> allowed)
    {
        foreach (var member in parameters.EnumerateObject())
        {
            if (!allowed.Contains(member.Name))
            {
                throw VarlinkErrorException.InvalidParameter(member.Name);
            }
        }
    }
}
