using System.Net.Sockets;
using System.Text;
using ImageUpdate.Systemd.Notify;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Systemd.Notify;

/// <summary>A unix datagram socket stands in for the service manager and receives what the notifier sends.</summary>
public sealed class SystemdNotifierTests
{
    [Fact]
    public void Datagrams_reach_a_socket_path_in_order_with_rising_progress()
    {
        using var dir = new TempDirectory();
        using var receiver = Bind(dir["notify"]);
        using (var notifier = new SystemdNotifier(dir["notify"]))
        {
            Assert.True(notifier.IsEnabled);
            notifier.UpdateSelected("1.2");
            notifier.Progress(0, 2, 50, "1.2");
            notifier.Progress(1, 2, 0, "1.2");
            notifier.Progress(1, 2, 100, "1.2");
            notifier.Status("Done.");
        }

        Assert.Equal("READY=1\nX_SYSUPDATE_VERSION=1.2\nSTATUS=Making room for '1.2'.", Receive(receiver));
        Assert.Equal("X_SYSUPDATE_PROGRESS=25\nX_SYSUPDATE_TRANSFERS_LEFT=2\nX_SYSUPDATE_TRANSFERS_DONE=0\nSTATUS=Updating to '1.2' (25% complete).", Receive(receiver));
        Assert.StartsWith("X_SYSUPDATE_PROGRESS=50\n", Receive(receiver), StringComparison.Ordinal);
        Assert.StartsWith("X_SYSUPDATE_PROGRESS=100\nX_SYSUPDATE_TRANSFERS_LEFT=1\nX_SYSUPDATE_TRANSFERS_DONE=1\n", Receive(receiver), StringComparison.Ordinal);
        Assert.Equal("STATUS=Done.", Receive(receiver));
    }

    [Fact]
    public void An_at_sign_names_an_abstract_socket()
    {
        var name = $"image-update-test-{Guid.NewGuid():N}";
        using var receiver = Bind("\0" + name);
        using var notifier = new SystemdNotifier("@" + name);
        notifier.Ready();
        Assert.Equal("READY=1", Receive(receiver));
    }

    [Fact]
    public void A_newline_in_a_value_cannot_start_another_field()
    {
        using var dir = new TempDirectory();
        using var receiver = Bind(dir["notify"]);
        using var notifier = new SystemdNotifier(dir["notify"]);
        notifier.Status("a\nREADY=1");
        Assert.Equal("STATUS=a READY=1", Receive(receiver));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("vsock:2:1234")]
    public void Without_a_unix_socket_notifying_does_nothing(string? socket)
    {
        using var notifier = new SystemdNotifier(socket);
        Assert.False(notifier.IsEnabled);
        notifier.Ready();
        notifier.Progress(0, 1, 10, "1");
    }

    [Fact]
    public void A_vanished_socket_is_not_an_error()
    {
        using var dir = new TempDirectory();
        using var notifier = new SystemdNotifier(dir["gone"]);
        notifier.Ready();
    }

    // Integer steps as in sysupdate: 10000·2/3 + 100·100/3 = 6666 + 3333, so the last transfer done
    // of three reads 99, exactly what systemd-sysupdate reports there.
    [Theory]
    [InlineData(0, 1, 0, 0)]
    [InlineData(0, 1, 100, 100)]
    [InlineData(0, 3, 50, 16)]
    [InlineData(1, 3, 50, 49)]
    [InlineData(2, 3, 100, 99)]
    [InlineData(0, 2, 150, 50)]
    public void Overall_progress_gives_each_transfer_an_equal_share(int index, int count, int percentage, int expected)
    {
        Assert.Equal(expected, SystemdNotifier.OverallProgress(index, count, percentage));
    }

    private static Socket Bind(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.ReceiveTimeout = 10_000;
        return socket;
    }

    private static string Receive(Socket socket)
    {
        var buffer = new byte[4096];
        var count = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, count);
    }
}
