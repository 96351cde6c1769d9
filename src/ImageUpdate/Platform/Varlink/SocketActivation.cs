using System.Globalization;
using System.Net.Sockets;

namespace ImageUpdate.Platform.Varlink;

/// <summary>
/// sd_listen_fds(3) for a Varlink service: the program was handed exactly one socket, named
/// "varlink", as fd 3 (LISTEN_PID is this process, LISTEN_FDS=1, LISTEN_FDNAMES=varlink). That is how
/// a .socket unit with FileDescriptorName=varlink starts it (Accept=yes: a connected socket; Accept=no:
/// the listening one), and how `varlinkctl call exec:PROGRAM` does (one end of a socketpair).
/// </summary>
public static class SocketActivation
{
    /// <summary>The first passed descriptor (SD_LISTEN_FDS_START).</summary>
    public const int FirstDescriptor = 3;

    public const string VarlinkName = "varlink";

    /// <summary>Whether the variables hand this process a Varlink socket (the caller reads them from its environment).</summary>
    public static bool IsVarlinkInvocation(string? listenPid, string? listenFds, string? listenFdNames, int processId) =>
        int.TryParse(listenPid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid == processId
        && listenFds == "1"
        && listenFdNames == VarlinkName;

    /// <summary>The passed socket, owned by the returned object from now on.</summary>
    public static Socket TakeSocket() => new(new SafeSocketHandle(FirstDescriptor, ownsHandle: true));

    /// <summary>Whether a socket listens (SO_ACCEPTCONN): Accept=no passes the listening socket, Accept=yes a connection.</summary>
    public static bool IsListening(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        try
        {
            return socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection) is int and not 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
