using System.Net.Sockets;
using System.Text;
using ImageUpdate.Platform.DBus;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>A hand-written peer on a unix socket: how the client handles refused authentication and malformed messages.</summary>
public sealed class FakePeerTests
{
    [Fact]
    public async Task The_client_sends_the_spec_handshake_and_a_peer_connection_needs_no_Hello()
    {
        using var dir = new TempDirectory();
        using var listener = Listen(dir["peer"]);
        var peer = Task.Run(() =>
        {
            using var socket = listener.Accept();
            var lines = new List<string>();
            Assert.Equal(0, ReadByte(socket));
            lines.Add(ReadLine(socket));
            Send(socket, "OK 0123456789abcdef0123456789abcdef\r\n");
            lines.Add(ReadLine(socket));
            Send(socket, "AGREE_UNIX_FD\r\n");
            lines.Add(ReadLine(socket));
            return lines;
        });

        await using var connection = await DBusConnection.ConnectAsync("unix:path=" + dir["peer"], isMessageBus: false);
        var lines = await peer.WaitAsync(TimeSpan.FromSeconds(10));
        var uid = ImageUpdate.Foundation.Native.Libc.GetEffectiveUserId().ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(["AUTH EXTERNAL " + Convert.ToHexStringLower(Encoding.ASCII.GetBytes(uid)), "NEGOTIATE_UNIX_FD", "BEGIN"], lines);
        Assert.Null(connection.UniqueName);
        Assert.True(connection.UnixFdsSupported);
    }

    [Fact]
    public async Task A_refused_authentication_is_a_typed_exception_quoting_the_reply()
    {
        using var dir = new TempDirectory();
        using var listener = Listen(dir["peer"]);
        var peer = Task.Run(() =>
        {
            using var socket = listener.Accept();
            ReadByte(socket);
            ReadLine(socket);
            Send(socket, "REJECTED DBUS_COOKIE_SHA1\r\n");
            ReadLine(socket);
        });

        var error = await Assert.ThrowsAsync<DBusException>(() => DBusConnection.ConnectAsync("unix:path=" + dir["peer"], isMessageBus: false));
        Assert.Contains("refused EXTERNAL authentication", error.Message, StringComparison.Ordinal);
        Assert.Contains("REJECTED DBUS_COOKIE_SHA1", error.Message, StringComparison.Ordinal);
        await peer.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_malformed_message_drops_the_connection_and_fails_the_pending_call()
    {
        using var dir = new TempDirectory();
        using var listener = Listen(dir["peer"]);
        var peer = Task.Run(() =>
        {
            var socket = listener.Accept();
            ReadByte(socket);
            ReadLine(socket);
            Send(socket, "OK 0123456789abcdef0123456789abcdef\r\n");
            ReadLine(socket);
            Send(socket, "ERROR\r\n");
            ReadLine(socket);
            var header = new byte[16];
            socket.Receive(header);
            // A reply whose endianness byte is neither 'l' nor 'B'.
            socket.Send(Hex.Bytes("78020001 00000000 01000000 00000000"));
            return socket;
        });

        await using var connection = await DBusConnection.ConnectAsync("unix:path=" + dir["peer"], isMessageBus: false);
        Assert.False(connection.UnixFdsSupported);
        var error = await Assert.ThrowsAnyAsync<DBusException>(() => connection.CallAsync(DBusMessage.MethodCall(null, "/", "org.example.X", "Y")));
        Assert.Contains("endianness byte 0x78", error.Message, StringComparison.Ordinal);
        Assert.False(connection.IsConnected);
        (await peer).Dispose();
    }

    private static Socket Listen(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen();
        return socket;
    }

    private static int ReadByte(Socket socket)
    {
        var one = new byte[1];
        return socket.Receive(one) == 1 ? one[0] : -1;
    }

    private static string ReadLine(Socket socket)
    {
        var line = new StringBuilder();
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            var b = ReadByte(socket);
            if (b < 0)
            {
                break;
            }

            line.Append((char)b);
        }

        return line.ToString().TrimEnd('\r', '\n');
    }

    private static void Send(Socket socket, string text) => socket.Send(Encoding.ASCII.GetBytes(text));
}
