using System.Net.Sockets;
using System.Text;
using ImageUpdate.Platform.DBus;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.DBus;

/// <summary>
/// A hand-written hostile "bus" on a unix socket, below anything python3-dbus or dbus-daemon would
/// send: it refuses authentication, or authenticates and then answers Hello with garbage, hangs up,
/// or never answers. Each ends in one typed error line within the connect timeout, never a hang.
/// </summary>
public sealed class FakePeerTests
{
    [Fact]
    public async Task A_refused_authentication_is_a_typed_error_naming_the_address()
    {
        using var dir = new TempDirectory();
        using var listener = Listen(dir["bus"]);
        var peer = Task.Run(() =>
        {
            using var socket = listener.Accept();
            while (ReadLine(socket) is { Length: > 0 } line)
            {
                if (line.Contains("AUTH", StringComparison.Ordinal))
                {
                    Send(socket, "REJECTED DBUS_COOKIE_SHA1\r\n");
                }
            }
        });

        var error = await Assert.ThrowsAsync<DBusException>(() => BusConnection.ConnectAsync("unix:path=" + dir["bus"], TimeSpan.FromSeconds(20)).WaitAsync(TimeSpan.FromSeconds(60)));
        AssertOneLine(error);
        Assert.StartsWith($"Cannot connect to D-Bus at 'unix:path={dir["bus"]}': ", error.Message, StringComparison.Ordinal);
        await peer.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("malformed")]
    [InlineData("hang up")]
    [InlineData("silent")]
    public async Task A_bus_that_answers_Hello_with_garbage_hangs_up_or_never_answers_is_one_typed_error_line(string behaviour)
    {
        using var dir = new TempDirectory();
        using var listener = Listen(dir["bus"]);
        using var done = new CancellationTokenSource();
        var peer = Task.Run(async () =>
        {
            using var socket = listener.Accept();
            AuthenticateAndReadHello(socket);
            switch (behaviour)
            {
                case "malformed":
                    // A reply whose endianness byte is neither 'l' nor 'B'.
                    socket.Send(Hex.Bytes("78020001 00000000 01000000 00000000"));
                    break;
                case "hang up":
                    socket.Shutdown(SocketShutdown.Both);
                    break;
            }

            try
            {
                await Task.Delay(Timeout.Infinite, done.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });

        var error = await Assert.ThrowsAnyAsync<DBusException>(() => BusConnection.ConnectAsync("unix:path=" + dir["bus"], TimeSpan.FromSeconds(2)).WaitAsync(TimeSpan.FromSeconds(60)));
        AssertOneLine(error);
        var timedOut = $"No answer from the D-Bus at 'unix:path={dir["bus"]}' within 2 s.";
        if (behaviour == "silent")
        {
            Assert.Equal(timedOut, error.Message);
        }
        else if (error.Message != timedOut)
        {
            // Tmds.DBus.Protocol reads any endianness byte but 'B' as little-endian, so garbage may
            // be dropped as an unmatched reply instead of failing the read: then the deadline ends it.
            Assert.StartsWith($"Cannot connect to D-Bus at 'unix:path={dir["bus"]}': ", error.Message, StringComparison.Ordinal);
        }

        await done.CancelAsync();
        await peer.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static void AssertOneLine(Exception error)
    {
        Assert.DoesNotContain('\n', error.Message);
        Assert.True(error.Message.Length > 0);
    }

    /// <summary>SASL EXTERNAL as a bus does it (any uid is fine), then the client's first message, Hello: 16 fixed bytes, the header fields, the body.</summary>
    private static void AuthenticateAndReadHello(Socket socket)
    {
        while (ReadLine(socket) is { } line && line != "BEGIN")
        {
            if (line.Contains("AUTH EXTERNAL", StringComparison.Ordinal))
            {
                Send(socket, "OK 0123456789abcdef0123456789abcdef\r\n");
            }
            else if (line.Contains("NEGOTIATE_UNIX_FD", StringComparison.Ordinal))
            {
                Send(socket, "AGREE_UNIX_FD\r\n");
            }
            else if (line.Length == 0)
            {
                return;
            }
        }

        var fixedHeader = ReadExactly(socket, 16);
        var bodyLength = BitConverter.ToInt32(fixedHeader, 4);
        var fieldsLength = BitConverter.ToInt32(fixedHeader, 12);
        ReadExactly(socket, ((fieldsLength + 7) & ~7) + bodyLength);
    }

    private static Socket Listen(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen();
        return socket;
    }

    private static byte[] ReadExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = socket.Receive(buffer, read, count - read, SocketFlags.None);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return buffer;
    }

    /// <summary>One CRLF-terminated line without the leading NUL byte of the handshake; empty at end of stream.</summary>
    private static string ReadLine(Socket socket)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            if (socket.Receive(one) != 1)
            {
                break;
            }

            if (one[0] != 0)
            {
                line.Append((char)one[0]);
            }
        }

        return line.ToString().TrimEnd('\r', '\n');
    }

    private static void Send(Socket socket, string text) => socket.Send(Encoding.ASCII.GetBytes(text));
}
