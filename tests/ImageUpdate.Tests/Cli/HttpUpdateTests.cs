using System.Security.Cryptography;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// The whole program against a real HTTP server on 127.0.0.1: a manifest signed by a gpg-made RSA
/// or Ed25519 key, a payload whose connection is cut halfway (the download resumes with a range
/// request instead of starting over), and a server that stalls.
/// </summary>
public sealed class HttpUpdateTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("rsa3072")]
    [InlineData("ed25519")]
    public async Task The_newest_signed_version_installs_over_http_and_a_cut_download_resumes(string algorithm)
    {
        using var key = new SigningKey(algorithm);
        var payload = RandomNumberGenerator.GetBytes(8 << 20);
        var endpoint = new RangeFileEndpoint(payload) { CutAfter = i => i == 0 ? 3 << 20 : null };
        var files = SignedOsServer.Publish(_dir, key, ("os_1.raw", RandomNumberGenerator.GetBytes(1000)), ("os_2.raw", payload));

        await using var server = await TestHttpServer.StartAsync((context, stopping) =>
            context.Request.Path.Value == "/os_2.raw" ? endpoint.HandleAsync(context, stopping) : SignedOsServer.Serve(files, context));
        SignedOsServer.Define(_dir, server.BaseAddress.ToString().TrimEnd('/'), key);

        var update = await ImageUpdateProcess.RunAsync(null, "--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], "update");

        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal(payload, File.ReadAllBytes(_dir["target/os_2.raw"]));
        Assert.True(endpoint.BytesSent < payload.Length + (3 << 20), $"sent {endpoint.BytesSent} bytes: the download started over");
        Assert.Contains(endpoint.Requests, r => !string.IsNullOrEmpty(r.Range));
    }

    [Fact]
    public async Task A_server_that_stops_sending_is_abandoned_with_a_clear_error()
    {
        using var key = new SigningKey();
        var files = SignedOsServer.Publish(_dir, key, ("os_1.raw", RandomNumberGenerator.GetBytes(4 << 20)));
        await using var server = await TestHttpServer.StartAsync(async (context, stopping) =>
        {
            if (context.Request.Path.Value != "/os_1.raw")
            {
                await SignedOsServer.Serve(files, context);
                return;
            }

            context.Response.ContentLength = 4 << 20;
            await context.Response.Body.WriteAsync(new byte[1000], stopping);
            await context.Response.Body.FlushAsync(stopping);
            await Task.Delay(Timeout.Infinite, stopping);
        });
        SignedOsServer.Define(_dir, server.BaseAddress.ToString().TrimEnd('/'), key);

        var update = await ImageUpdateProcess.RunAsync(
            new Dictionary<string, string?> { ["IMAGE_UPDATE_STALL_TIMEOUT"] = "2" },
            "--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], "update");

        Assert.Equal(1, update.ExitCode);
        Assert.Contains("os_1.raw", update.Stderr);
        Assert.Contains("no data arrived", update.Stderr);
        Assert.False(File.Exists(_dir["target/os_1.raw"]));
    }
}
