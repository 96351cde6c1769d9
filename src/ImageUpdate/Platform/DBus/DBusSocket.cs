using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// A connected unix stream socket that sends and receives bytes together with unix fds
/// (SCM_RIGHTS), in blocking calls: the connection reads on its own thread and sends under a lock.
/// </summary>
internal sealed class DBusSocket : IDisposable
{
    private readonly Socket _socket;

    private DBusSocket(Socket socket)
    {
        _socket = socket;
    }

    /// <summary>Connects to the first address in the list that accepts; the errors of all of them otherwise.</summary>
    public static DBusSocket Connect(string addresses)
    {
        var failures = new List<string>();
        foreach (var address in DBusAddress.Parse(addresses))
        {
            if (address.UnixSocketPath is not { } path)
            {
                failures.Add($"transport '{Foundation.Errors.UntrustedText.Escape(address.Transport)}' is not supported");
                continue;
            }

            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                return new DBusSocket(socket);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                failures.Add($"'{Foundation.Errors.UntrustedText.Escape(path.Replace("\0", "@", StringComparison.Ordinal))}': {e.Message}");
            }
        }

        throw new DBusException($"Cannot connect to D-Bus at '{Foundation.Errors.UntrustedText.Escape(addresses)}': {string.Join("; ", failures)}.");
    }

    /// <summary>Sends all of <paramref name="data"/>; the fds go with its first byte.</summary>
    public void Send(ReadOnlySpan<byte> data, IReadOnlyList<SafeHandle> fds)
    {
        var added = new List<SafeHandle>();
        try
        {
            var numbers = new int[fds.Count];
            for (var i = 0; i < fds.Count; i++)
            {
                var ok = false;
                fds[i].DangerousAddRef(ref ok);
                added.Add(fds[i]);
                numbers[i] = (int)fds[i].DangerousGetHandle();
            }

            var sent = Libc.SendWithFds(_socket.SafeHandle, data, numbers);
            while (sent < data.Length)
            {
                sent += Libc.SendWithFds(_socket.SafeHandle, data[sent..], []);
            }
        }
        finally
        {
            foreach (var handle in added)
            {
                handle.DangerousRelease();
            }
        }
    }

    public void Send(string line) => Send(Encoding.ASCII.GetBytes(line), []);

    /// <summary>Blocks until some bytes arrive; 0 at end of stream. Fds that came along are appended to <paramref name="fds"/>.</summary>
    public int Receive(Span<byte> buffer, List<int> fds) => Libc.ReceiveWithFds(_socket.SafeHandle, buffer, fds);

    /// <summary>Wakes a blocked <see cref="Receive"/> (it returns 0) without closing the fd under it.</summary>
    public void Shutdown()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>SO_RCVTIMEO, which recvmsg honours too: bounds the authentication exchange; 0 waits forever.</summary>
    public void SetReceiveTimeout(TimeSpan timeout) => _socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;

    public void Dispose() => _socket.Dispose();
}
