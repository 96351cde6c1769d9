using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ImageUpdate.Tests.Support;

/// <summary>
/// nginx (the Debian package) serving a directory on 127.0.0.1, started by the test in one process
/// (master_process off, so disposing it stops it all) with its own configuration, temp paths and an
/// access log of <c>$status $body_bytes_sent $request_uri</c>: what the server really sent is counted
/// from that log, as an operator would count it.
/// </summary>
internal sealed class NginxServer : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly RunningProcess _process;

    private NginxServer(TempDirectory dir, RunningProcess process, int port)
    {
        _dir = dir;
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri BaseAddress { get; }

    public string AccessLog => _dir["access.log"];

    public static async Task<NginxServer> StartAsync(string root)
    {
        TestEnvironment.RequireTools("apt-get install nginx", "nginx");
        var dir = new TempDirectory("image-update-nginx-");
        var port = FreePort();
        Directory.CreateDirectory(dir["tmp"]);
        File.WriteAllText(dir["nginx.conf"], $$"""
            master_process off;
            daemon off;
            worker_processes 1;
            pid {{dir["nginx.pid"]}};
            error_log {{dir["error.log"]}} warn;
            events { worker_connections 64; }
            http {
                log_format bytes '$status $body_bytes_sent $request_uri';
                access_log {{dir["access.log"]}} bytes;
                client_body_temp_path {{dir["tmp"]}}/body;
                proxy_temp_path {{dir["tmp"]}}/proxy;
                fastcgi_temp_path {{dir["tmp"]}}/fastcgi;
                uwsgi_temp_path {{dir["tmp"]}}/uwsgi;
                scgi_temp_path {{dir["tmp"]}}/scgi;
                keepalive_requests 100000;
                types { }
                default_type application/octet-stream;
                server {
                    listen 127.0.0.1:{{port}};
                    root {{root}};
                }
            }
            """);
        var process = TestProcess.Start("nginx", ["-p", dir.Path, "-c", dir["nginx.conf"], "-e", dir["error.log"]]);
        var server = new NginxServer(dir, process, port);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (true)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port);
                    return server;
                }
                catch (SocketException) when (!process.HasExited && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }
                catch (SocketException)
                {
                    var log = File.Exists(dir["error.log"]) ? File.ReadAllText(dir["error.log"]) : "";
                    throw new InvalidOperationException($"nginx did not start on port {port}: {process.StderrSoFar}{log}");
                }
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Bytes of response bodies nginx logged from line <paramref name="fromLine"/> on.</summary>
    public long BodyBytesSent(int fromLine = 0) =>
        Entries().Skip(fromLine).Sum(e => e.Bytes);

    public int LoggedRequests => Entries().Count;

    public IReadOnlyList<(int Status, long Bytes, string Uri)> Entries()
    {
        if (!File.Exists(AccessLog))
        {
            return [];
        }

        return File.ReadAllLines(AccessLog)
            .Select(line => line.Split(' ', 3))
            .Select(f => (int.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), f[2]))
            .ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _dir.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
