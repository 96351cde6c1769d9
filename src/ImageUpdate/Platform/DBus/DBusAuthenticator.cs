using System.Globalization;
using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// The client side of D-Bus Specification 0.41 §Authentication Protocol: a NUL byte, AUTH EXTERNAL
/// with the effective uid as hex-encoded decimal text (the kernel's SO_PEERCRED proves it), then
/// NEGOTIATE_UNIX_FD, then BEGIN. Lines are read one byte at a time so nothing after BEGIN is consumed.
/// </summary>
internal static class DBusAuthenticator
{
    /// <summary>Longer lines than this are not a D-Bus server talking (the spec sets no limit; dbus-daemon uses 16 KiB).</summary>
    private const int MaxLineLength = 16 * 1024;

    /// <summary>Returns the server's GUID and whether it agreed to unix fd passing.</summary>
    public static (string Guid, bool UnixFds) Authenticate(DBusSocket socket)
    {
        var uid = Foundation.Native.Libc.GetEffectiveUserId().ToString(CultureInfo.InvariantCulture);
        socket.Send("\0AUTH EXTERNAL " + Convert.ToHexStringLower(Encoding.ASCII.GetBytes(uid)) + "\r\n");
        var reply = ReadLine(socket);
        if (!reply.StartsWith("OK ", StringComparison.Ordinal))
        {
            socket.Send("CANCEL\r\n");
            throw new DBusException($"The D-Bus server refused EXTERNAL authentication as uid {uid}: '{UntrustedText.Escape(reply)}'.");
        }

        var guid = reply[3..].Trim();
        socket.Send("NEGOTIATE_UNIX_FD\r\n");
        var agreed = ReadLine(socket) switch
        {
            "AGREE_UNIX_FD" => true,
            var line when line.StartsWith("ERROR", StringComparison.Ordinal) => false,
            var line => throw new DBusException($"The D-Bus server answered NEGOTIATE_UNIX_FD with '{UntrustedText.Escape(line)}'."),
        };
        socket.Send("BEGIN\r\n");
        return (guid, agreed);
    }

    private static string ReadLine(DBusSocket socket)
    {
        var line = new List<byte>();
        var one = new byte[1];
        var fds = new List<int>();
        while (true)
        {
            if (socket.Receive(one, fds) == 0)
            {
                throw new DBusException($"The D-Bus server closed the connection during authentication after '{UntrustedText.Escape(line.ToArray())}'.");
            }

            foreach (var fd in fds)
            {
                Foundation.Native.Libc.CloseFd(fd);
            }

            fds.Clear();
            if (one[0] == '\n' && line.Count > 0 && line[^1] == '\r')
            {
                return Encoding.ASCII.GetString(line.ToArray(), 0, line.Count - 1);
            }

            line.Add(one[0]);
            if (line.Count > MaxLineLength)
            {
                throw new DBusException($"The D-Bus server sent an authentication line longer than {MaxLineLength} bytes.");
            }
        }
    }
}
