using System.Net.Sockets;
using System.Text;
using ImageUpdate.Cli.Output;
using ImageUpdate.Systemd.Notify;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>The observer that turns engine events into sd_notify datagrams, against a receiving socket.</summary>
public sealed class ServiceManagerProgressTests
{
    [Fact]
    public void Progress_is_sent_once_per_percent_and_transfer_and_making_room_carries_readiness()
    {
        using var dir = new TempDirectory();
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint(dir["notify"]));
        using var notifier = new SystemdNotifier(dir["notify"]);
        var observer = new CompositeUpdateObserver(ImageUpdate.Update.Engine.IUpdateObserver.None, new ServiceManagerProgress(notifier));

        observer.OnStatus("7", "Making room for '7'.");
        observer.OnStatus("7", "Updating to '7'.");
        observer.OnProgress("7", 0, 2, 0.999);
        observer.OnProgress("7", 0, 2, 1.0);
        observer.OnProgress("7", 0, 2, 1.0);
        observer.OnProgress("7", 1, 2, 0.0);
        observer.OnProgress("7", 1, 2, 0.004);
        observer.OnProgress("7", 1, 2, 1.0);

        Assert.Equal("READY=1\nX_SYSUPDATE_VERSION=7\nSTATUS=Making room for '7'.", Receive(receiver));
        Assert.Equal("STATUS=Updating to '7'.", Receive(receiver));
        Assert.StartsWith("X_SYSUPDATE_PROGRESS=49\nX_SYSUPDATE_TRANSFERS_LEFT=2\n", Receive(receiver), StringComparison.Ordinal);
        Assert.StartsWith("X_SYSUPDATE_PROGRESS=50\nX_SYSUPDATE_TRANSFERS_LEFT=2\n", Receive(receiver), StringComparison.Ordinal);

        // The same 50 % again, but now with the first transfer done: a new datagram, as sysupdate sends.
        Assert.StartsWith("X_SYSUPDATE_PROGRESS=50\nX_SYSUPDATE_TRANSFERS_LEFT=1\nX_SYSUPDATE_TRANSFERS_DONE=1\n", Receive(receiver), StringComparison.Ordinal);
        Assert.StartsWith("X_SYSUPDATE_PROGRESS=100\n", Receive(receiver), StringComparison.Ordinal);
        receiver.ReceiveTimeout = 200;
        Assert.Throws<SocketException>(() => receiver.Receive(new byte[64]));
    }

    private static string Receive(Socket socket)
    {
        socket.ReceiveTimeout = 5000;
        var buffer = new byte[4096];
        return Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer));
    }
}
