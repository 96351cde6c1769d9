using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.Varlink;

/// <summary>
/// One Varlink connection over a connected unix stream socket, for either side: a server reads
/// calls and sends replies, a client sends calls and reads replies. Messages are bounded both ways
/// (<see cref="VarlinkLimits"/>); JSON is read with JsonDocument and written with Utf8JsonWriter, so
/// nothing here needs reflection.
/// </summary>
public sealed class VarlinkConnection : IAsyncDisposable, IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly VarlinkMessageReader _reader;

    public VarlinkConnection(Socket socket, int maxMessageBytes = VarlinkLimits.MaxMessageBytes)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new VarlinkMessageReader(_stream, maxMessageBytes);
        MaxMessageBytes = maxMessageBytes;
    }

    public int MaxMessageBytes { get; }

    /// <summary>Connects to a unix socket, giving up after <paramref name="timeout"/>.</summary>
    public static async Task<VarlinkConnection> ConnectAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), deadline.Token).ConfigureAwait(false);
            return new VarlinkConnection(socket);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new VarlinkException($"Connecting to Varlink socket '{UntrustedText.Escape(path)}' timed out after {timeout.TotalSeconds:0.#} s.");
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new VarlinkException($"Failed to connect to Varlink socket '{UntrustedText.Escape(path)}': {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            // A path longer than sockaddr_un holds (about 108 bytes).
            socket.Dispose();
            throw new VarlinkException($"Failed to connect to Varlink socket '{UntrustedText.Escape(path)}': {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The peer's user ID (SO_PEERCRED), or null when the kernel does not say.</summary>
    public uint? PeerUserId
    {
        get
        {
            const int SolSocket = 1;
            const int SoPeerCred = 17;
            Span<byte> credentials = stackalloc byte[12]; // struct ucred: pid, uid, gid
            try
            {
                return _socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) == credentials.Length
                    ? MemoryMarshal.Read<uint>(credentials[4..]) // host byte order
                    : null;
            }
            catch (SocketException)
            {
                return null;
            }
        }
    }

    /// <summary>The next call, or null when the client hung up between calls.</summary>
    public async Task<VarlinkCall?> ReadCallAsync(CancellationToken cancellationToken)
    {
        var message = await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
        return message is { } m ? VarlinkCall.Parse(m.Span) : null;
    }

    /// <summary>A reply with the members <paramref name="writeParameters"/> writes into its parameters object.</summary>
    public Task SendReplyAsync(Action<Utf8JsonWriter>? writeParameters, bool continues, CancellationToken cancellationToken) =>
        SendAsync(w =>
        {
            w.WriteStartObject("parameters");
            writeParameters?.Invoke(w);
            w.WriteEndObject();
            if (continues)
            {
                w.WriteBoolean("continues", true);
            }
        }, cancellationToken);

    /// <summary>An error reply; a null <paramref name="writeParameters"/> sends no parameters object, as sd-varlink does.</summary>
    public Task SendErrorAsync(string error, Action<Utf8JsonWriter>? writeParameters, CancellationToken cancellationToken) =>
        SendAsync(w =>
        {
            w.WriteString("error", error);
            if (writeParameters is not null)
            {
                w.WriteStartObject("parameters");
                writeParameters(w);
                w.WriteEndObject();
            }
        }, cancellationToken);

    /// <summary>Calls a method and returns its one reply; an error reply is thrown as <see cref="VarlinkErrorException"/>.</summary>
    public async Task<VarlinkReply> CallAsync(string method, Action<Utf8JsonWriter>? writeParameters, CancellationToken cancellationToken)
    {
        await SendAsync(w =>
        {
            w.WriteString("method", method);
            w.WriteStartObject("parameters");
            writeParameters?.Invoke(w);
            w.WriteEndObject();
        }, cancellationToken).ConfigureAwait(false);
        var message = await ReadMessageAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new VarlinkException($"Varlink peer hung up before replying to {method}.");
        return VarlinkReply.Parse(message.Span);
    }

    private async Task<ReadOnlyMemory<byte>?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new VarlinkException($"Reading from the Varlink peer failed: {e.Message}", e);
        }
    }

    private async Task SendAsync(Action<Utf8JsonWriter> writeMembers, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writeMembers(writer);
            writer.WriteEndObject();
        }

        if (buffer.WrittenCount > MaxMessageBytes)
        {
            throw new VarlinkException($"Varlink message of {buffer.WrittenCount} bytes exceeds the {MaxMessageBytes}-byte bound.");
        }

        buffer.Write([(byte)0]);
        try
        {
            await _stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new VarlinkException($"Writing to the Varlink peer failed: {e.Message}", e);
        }
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();

    public void Dispose() => _stream.Dispose();
}
