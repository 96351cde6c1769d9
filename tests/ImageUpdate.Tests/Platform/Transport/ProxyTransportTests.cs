using System.Net;
using System.Net.Sockets;
using ImageUpdate.Platform.Transport;
using Microsoft.AspNetCore.Http.Features;

namespace ImageUpdate.Tests.Platform.Transport;

/// <summary>
/// Requests through proxies taken from the environment: Kestrel standing in for an HTTP forward
/// proxy and a small in-test SOCKS5 server. The URLs name hosts that do not resolve, so a success
/// proves the name went to the proxy (no local DNS lookup, as Tor users need).
/// </summary>
public sealed class ProxyTransportTests
{
    [Fact]
    public async Task An_http_proxy_receives_the_absolute_url()
    {
        var targets = new List<string>();
        await using var proxy = await TestHttpServer.StartAsync(async (context, _) =>
        {
            lock (targets)
            {
                targets.Add(context.Features.Get<IHttpRequestFeature>()!.RawTarget);
            }

            await context.Response.Body.WriteAsync("via proxy"u8.ToArray());
        });
        using var fetcher = new UrlFetcher(TransportTestData.Options with
        {
            Environment = new Dictionary<string, string> { ["http_proxy"] = $"127.0.0.1:{proxy.Port}" },
        });

        var body = await fetcher.GetSmallAsync(new Uri("http://updates.example.invalid/os/SHA256SUMS"), 100, CancellationToken.None);

        Assert.Equal("via proxy"u8.ToArray(), body);
        Assert.Equal("http://updates.example.invalid/os/SHA256SUMS", Assert.Single(targets));
    }

    [Fact]
    public async Task No_proxy_sends_a_matching_host_direct_even_when_the_proxy_is_dead()
    {
        await using var server = await TestHttpServer.StartAsync(async (context, _) => await context.Response.Body.WriteAsync("direct"u8.ToArray()));
        using var fetcher = new UrlFetcher(TransportTestData.Options with
        {
            Environment = new Dictionary<string, string>
            {
                ["http_proxy"] = $"http://127.0.0.1:{UnusedPort()}",
                ["no_proxy"] = $"example.org,127.0.0.1:{server.Port}",
            },
            MaxRetries = 0,
        });

        Assert.Equal("direct"u8.ToArray(), await fetcher.GetSmallAsync(server.Url("SHA256SUMS"), 100, CancellationToken.None));
    }

    [Fact]
    public async Task A_dead_proxy_is_an_error_not_a_reason_to_go_direct()
    {
        await using var server = await TestHttpServer.StartAsync(async (context, _) => await context.Response.Body.WriteAsync("direct"u8.ToArray()));
        using var fetcher = new UrlFetcher(TransportTestData.Options with
        {
            Environment = new Dictionary<string, string> { ["ALL_PROXY"] = $"socks5h://127.0.0.1:{UnusedPort()}" },
            MaxRetries = 0,
        });

        var error = await Assert.ThrowsAsync<DownloadException>(() => fetcher.GetSmallAsync(server.Url("SHA256SUMS"), 100, CancellationToken.None));

        Assert.Equal(DownloadFailure.ConnectFailed, error.Failure);
    }

    [Theory]
    [InlineData("socks5h")]
    [InlineData("socks5")]
    public async Task A_socks5_proxy_from_ALL_PROXY_is_given_the_host_name_to_resolve(string scheme)
    {
        var content = TransportTestData.Payload(300_000, seed: 30);
        var endpoint = new RangeFileEndpoint(content);
        await using var server = await TestHttpServer.StartAsync(endpoint.HandleAsync);
        await using var socks = new TestSocks5Proxy(server.Port);
        using var fetcher = new UrlFetcher(TransportTestData.Options with
        {
            Environment = new Dictionary<string, string> { ["ALL_PROXY"] = $"{scheme}://127.0.0.1:{socks.Port}" },
        });

        var body = await fetcher.GetSmallAsync(new Uri("http://updates.example.invalid:8080/SHA256SUMS"), 1 << 20, CancellationToken.None);

        Assert.Equal(content, body);
        Assert.Equal(new TestSocks5Proxy.Connect(3, "updates.example.invalid", 8080, null, null), Assert.Single(socks.Requests));
    }

    [Fact]
    public async Task Socks5_credentials_in_the_proxy_url_are_sent_to_the_proxy()
    {
        await using var server = await TestHttpServer.StartAsync(async (context, _) => await context.Response.Body.WriteAsync("isolated"u8.ToArray()));
        await using var socks = new TestSocks5Proxy(server.Port);
        using var fetcher = new UrlFetcher(TransportTestData.Options with
        {
            // Tor isolates circuits by SOCKS user name and password.
            Environment = new Dictionary<string, string> { ["https_proxy"] = "http://unused:1", ["http_proxy"] = $"socks5h://image-update:circuit%2F7@127.0.0.1:{socks.Port}" },
        });

        Assert.Equal("isolated"u8.ToArray(), await fetcher.GetSmallAsync(new Uri("http://mirror.example.invalid/SHA256SUMS"), 100, CancellationToken.None));
        var connect = Assert.Single(socks.Requests);
        Assert.Equal(("image-update", "circuit/7"), (connect.User, connect.Password));
    }

    private static int UnusedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
