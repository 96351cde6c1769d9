using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImageUpdate.Tests.Platform.Transport;

/// <summary>
/// A minimal SOCKS5 server (RFC 1928 CONNECT, RFC 1929 user/password) on 127.0.0.1 that records
/// what each client asked for and then connects every tunnel to one fixed local port, whatever
/// host was named: so a URL with an unresolvable host name works only if the name went to the proxy.
/// </summary>
internal sealed class TestSocks5Proxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _forwardPort;
    private readonly Task _accepting;

    public TestSocks5Proxy(int forwardPort)
    {
        _forwardPort = forwardPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<Connect> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var token = _stopping.Token;

        var greeting = await ReadAsync(stream, 2, token);
        var methods = await ReadAsync(stream, greeting[1], token);
        string? user = null, password = null;
        if (methods.Contains((byte)2))
        {
            await stream.WriteAsync(new byte[] { 5, 2 }, token);
            var version = await ReadAsync(stream, 2, token);
            user = Encoding.UTF8.GetString(await ReadAsync(stream, version[1], token));
            password = Encoding.UTF8.GetString(await ReadAsync(stream, (await ReadAsync(stream, 1, token))[0], token));
            await stream.WriteAsync(new byte[] { 1, 0 }, token);
        }
        else
        {
            await stream.WriteAsync(new byte[] { 5, 0 }, token);
        }

        var request = await ReadAsync(stream, 4, token);
        var addressType = request[3];
        var host = addressType switch
        {
            1 => new IPAddress(await ReadAsync(stream, 4, token)).ToString(),
            3 => Encoding.ASCII.GetString(await ReadAsync(stream, (await ReadAsync(stream, 1, token))[0], token)),
            _ => new IPAddress(await ReadAsync(stream, 16, token)).ToString(),
        };
        var portBytes = await ReadAsync(stream, 2, token);
        Requests.Enqueue(new Connect(addressType, host, (portBytes[0] << 8) | portBytes[1], user, password));

        using var upstream = new TcpClient();
        await upstream.ConnectAsync(IPAddress.Loopback, _forwardPort, token);
        await stream.WriteAsync(new byte[] { 5, 0, 0, 1, 127, 0, 0, 1, 0, 0 }, token);
        var upstreamStream = upstream.GetStream();
        var up = stream.CopyToAsync(upstreamStream, token);
        var down = upstreamStream.CopyToAsync(stream, token);
        await Task.WhenAny(up, down).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private static async Task<byte[]> ReadAsync(NetworkStream stream, int count, CancellationToken token)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, token);
        return buffer;
    }

    /// <param name="AddressType">RFC 1928 ATYP: 1 IPv4, 3 domain name, 4 IPv6.</param>
    public sealed record Connect(byte AddressType, string Host, int Port, string? User, string? Password);
}
