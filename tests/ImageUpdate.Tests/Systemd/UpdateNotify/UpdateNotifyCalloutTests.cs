using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageUpdate.Platform.Varlink;
using ImageUpdate.Systemd.UpdateNotify;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Systemd.UpdateNotify;

/// <summary>
/// The update-notification callout of systemd-sysupdate 262 (TEST-72-SYSUPDATE's notify-recorder
/// steps): after a real update the program calls io.systemd.SysUpdate.Notify.OnCompletedUpdate on
/// every socket in the notify directory, once, with the version and each installed resource's
/// transfer and path; a no-op update calls nobody; subscribers that are gone, fail or hang are
/// logged and the update still succeeds.
/// </summary>
public sealed class UpdateNotifyCalloutTests : IDisposable
{
    private readonly TempDirectory _dir = new("notify");
    private readonly List<Socket> _sockets = [];

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _dir.Dispose();
    }

    /// <summary>A subscriber socket: <paramref name="answer"/> decides what each connection gets after its request is recorded.</summary>
    private ConcurrentQueue<string> Subscriber(string name, Func<Socket, Task> answer)
    {
        var requests = new ConcurrentQueue<string>();
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(_dir.Combine("notify", name)));
        listener.Listen();
        _sockets.Add(listener);
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _sockets.Add(connection);
                var reader = new VarlinkMessageReader(new NetworkStream(connection, ownsSocket: false));
                if (await reader.ReadAsync(CancellationToken.None) is { } request)
                {
                    requests.Enqueue(Encoding.UTF8.GetString(request.Span));
                    await answer(connection);
                }
            }
        });
        return requests;
    }

    private static Task Reply(Socket s, string message) => s.SendAsync(Encoding.UTF8.GetBytes(message + "\0"));

    private (string Defs, string Blobs) Definitions()
    {
        Directory.CreateDirectory(_dir["notify"]);
        Directory.CreateDirectory(_dir["source"]);
        Directory.CreateDirectory(_dir["blobs"]);
        Directory.CreateDirectory(_dir["defs"]);
        File.WriteAllText(_dir["source/notifytest-v1.bin"], "hello\n");
        File.WriteAllText(_dir["source/SHA256SUMS"], $"{Convert.ToHexStringLower(SHA256.HashData("hello\n"u8))}  notifytest-v1.bin\n");
        File.WriteAllText(_dir["defs/01-notifytest.transfer"], $"""
            [Source]
            Type=url-file
            Path=file://{_dir["source"]}
            MatchPattern=notifytest-@v.bin

            [Target]
            Type=regular-file
            Path={_dir["blobs"]}
            MatchPattern=notifytest-@v.bin
            InstancesMax=2
            """);
        return (_dir["defs"], _dir["blobs"]);
    }

    private Task<RunResult> Update(string defs) => ImageUpdateProcess.RunAsync(
        new Dictionary<string, string?> { ["IMAGE_UPDATE_TEST_NOTIFY_DIR"] = _dir["notify"] },
        "--definitions", defs, "--verify=no", "update");

    [Fact]
    public async Task A_real_update_notifies_each_subscriber_once_and_a_no_op_update_nobody()
    {
        var (defs, blobs) = Definitions();
        var requests = Subscriber("io.test.SysUpdateRecorder", s => Reply(s, "{\"parameters\":{}}"));

        var first = await Update(defs);
        Assert.True(first.ExitCode == 0, first.ToString());
        var request = Assert.Single(requests);
        using (var json = JsonDocument.Parse(request))
        {
            var root = json.RootElement;
            Assert.Equal("io.systemd.SysUpdate.Notify.OnCompletedUpdate", root.GetProperty("method").GetString());
            var parameters = root.GetProperty("parameters");
            Assert.Equal("v1", parameters.GetProperty("version").GetString());
            Assert.False(parameters.TryGetProperty("component", out _));
            var resource = Assert.Single(parameters.GetProperty("resources").EnumerateArray());
            Assert.Equal("01-notifytest", resource.GetProperty("transfer").GetString());
            Assert.Equal(Path.Combine(blobs, "notifytest-v1.bin"), resource.GetProperty("path").GetString());
        }

        var second = await Update(defs);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Single(requests);
    }

    [Fact]
    public async Task Subscribers_that_are_gone_fail_or_hang_up_are_logged_and_the_update_succeeds()
    {
        var (defs, blobs) = Definitions();

        // A socket file nobody listens on (a subscriber that died), one that answers with an error,
        // one that hangs up without answering, and a good one after them all.
        var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(_dir.Combine("notify", "a-dead")));
        _sockets.Add(dead);
        Subscriber("b-error", s => Reply(s, "{\"error\":\"io.test.Broken\"}"));
        Subscriber("c-hangup", s =>
        {
            s.Shutdown(SocketShutdown.Both);
            return Task.CompletedTask;
        });
        var good = Subscriber("d-good", s => Reply(s, "{\"parameters\":{}}"));

        var result = await Update(defs);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(Path.Combine(blobs, "notifytest-v1.bin")));
        Assert.Single(good);
        Assert.Contains("Failed to notify subscriber 'a-dead', ignoring: Failed to connect to Varlink socket", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Notification subscriber 'b-error' returned error, ignoring: io.test.Broken", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Failed to notify subscriber 'c-hangup', ignoring: Varlink peer hung up before replying to io.systemd.SysUpdate.Notify.OnCompletedUpdate.", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_subscriber_is_given_up_on_at_its_deadline()
    {
        Directory.CreateDirectory(_dir["notify"]);
        var requests = Subscriber("silent", _ => Task.CompletedTask);
        var good = Subscriber("zz-good", s => Reply(s, "{\"parameters\":{}}"));
        var callout = new UpdateNotifyCallout(NullLogger.Instance, _dir["notify"]) { Timeout = TimeSpan.FromMilliseconds(500) };

        await callout.NotifyAsync(new CompletedUpdate("comp", "2", [new CompletedResource("t", null)]), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Single(requests);
        using var json = JsonDocument.Parse(Assert.Single(good));
        Assert.Equal("{\"component\":\"comp\",\"version\":\"2\",\"resources\":[{\"transfer\":\"t\"}]}", json.RootElement.GetProperty("parameters").GetRawText());
    }

    [Fact]
    public async Task No_notify_directory_means_nobody_to_tell()
    {
        var callout = new UpdateNotifyCallout(NullLogger.Instance, _dir["missing"]);
        await callout.NotifyAsync(new CompletedUpdate(null, "1", []), CancellationToken.None);
    }
}
