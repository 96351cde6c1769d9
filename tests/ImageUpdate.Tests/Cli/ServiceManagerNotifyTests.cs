using System.Globalization;
using System.Net.Sockets;
using System.Text;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>A real `update` under a service manager: its sd_notify datagrams, received on a test socket.</summary>
public sealed class ServiceManagerNotifyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Update_sends_readiness_version_status_and_rising_progress_in_sysupdate_order()
    {
        var root = _dir["root"];
        foreach (var dir in new[] { "usr/lib/sysupdate.d", "etc", "srv/source", "srv/target" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        File.WriteAllText(Path.Combine(root, "etc/os-release"), "ID=demo\nIMAGE_VERSION=1\n");
        foreach (var name in new[] { "app", "data" })
        {
            File.WriteAllText(Path.Combine(root, $"usr/lib/sysupdate.d/10-{name}.transfer"), $"""
                [Source]
                Type=regular-file
                Path=/srv/source
                MatchPattern={name}_@v.bin

                [Target]
                Type=regular-file
                Path=/srv/target
                MatchPattern={name}_@v.bin
                """);
            File.WriteAllBytes(Path.Combine(root, $"srv/source/{name}_2.bin"), new byte[4 << 20]);
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(_dir["notify"]));
        var datagrams = new List<string>();
        const string End = "X_TEST_END=1";

        // Read while the program runs: a unix datagram queue holds only a few before senders block.
        // It ends at the test's own last datagram, sent once the program has exited: the queue is
        // first in, first out, so everything the program sent has been read by then.
        var receiving = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None);
                var datagram = Encoding.UTF8.GetString(buffer, 0, n);
                if (datagram == End)
                {
                    return;
                }

                datagrams.Add(datagram);
            }
        });

        var result = await ImageUpdateProcess.RunAsync(new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = _dir["notify"] }, "--root", root, "update");
        using (var sender = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified))
        {
            await sender.SendToAsync(Encoding.UTF8.GetBytes(End), SocketFlags.None, new UnixDomainSocketEndPoint(_dir["notify"]));
        }

        await receiving.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("READY=1\nX_SYSUPDATE_VERSION=2\nSTATUS=Making room for '2'.", datagrams[0]);
        Assert.Equal("STATUS=Updating to '2'.", datagrams[1]);
        Assert.Equal(["STATUS=Installing '2'.", "STATUS=Installed '2'."], datagrams[^2..]);
        var progress = datagrams[2..^2];
        Assert.All(progress, d => Assert.Matches(@"^X_SYSUPDATE_PROGRESS=\d+\nX_SYSUPDATE_TRANSFERS_LEFT=[12]\nX_SYSUPDATE_TRANSFERS_DONE=[01]\nSTATUS=Updating to '2' \(\d+% complete\)\.$", d));
        var percents = progress.Select(d => int.Parse(d.Split('\n')[0]["X_SYSUPDATE_PROGRESS=".Length..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(percents.Order(), percents);
        Assert.Contains(50, percents);
        Assert.Equal(100, percents[^1]);
    }
}
