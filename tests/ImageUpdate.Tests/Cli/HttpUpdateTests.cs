using System.Security.Cryptography;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Tests.Support;
using Microsoft.AspNetCore.Http;

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
        var files = Publish(key, ("os_1.raw", RandomNumberGenerator.GetBytes(1000)), ("os_2.raw", payload));

        await using var server = await TestHttpServer.StartAsync((context, stopping) =>
            context.Request.Path.Value == "/os_2.raw" ? endpoint.HandleAsync(context, stopping) : Serve(files, context));
        Define(server.BaseAddress.ToString().TrimEnd('/'), key);

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
        var files = Publish(key, ("os_1.raw", RandomNumberGenerator.GetBytes(4 << 20)));
        await using var server = await TestHttpServer.StartAsync(async (context, stopping) =>
        {
            if (context.Request.Path.Value != "/os_1.raw")
            {
                await Serve(files, context);
                return;
            }

            context.Response.ContentLength = 4 << 20;
            await context.Response.Body.WriteAsync(new byte[1000], stopping);
            await context.Response.Body.FlushAsync(stopping);
            await Task.Delay(Timeout.Infinite, stopping);
        });
        Define(server.BaseAddress.ToString().TrimEnd('/'), key);

        var update = await ImageUpdateProcess.RunAsync(
            new Dictionary<string, string?> { ["IMAGE_UPDATE_STALL_TIMEOUT"] = "2" },
            "--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], "update");

        Assert.Equal(1, update.ExitCode);
        Assert.Contains("os_1.raw", update.Stderr);
        Assert.Contains("no data arrived", update.Stderr);
        Assert.False(File.Exists(_dir["target/os_1.raw"]));
    }

    private Dictionary<string, byte[]> Publish(SigningKey key, params (string Name, byte[] Content)[] payloads)
    {
        var server = Directory.CreateDirectory(_dir["server"]).FullName;
        var lines = payloads.Select(p => $"{Convert.ToHexStringLower(SHA256.HashData(p.Content))}  {p.Name}\n");
        File.WriteAllText(Path.Combine(server, "SHA256SUMS"), string.Concat(lines));
        key.SignDetached(Path.Combine(server, "SHA256SUMS"));
        var files = payloads.ToDictionary(p => p.Name, p => p.Content);
        files["SHA256SUMS"] = File.ReadAllBytes(Path.Combine(server, "SHA256SUMS"));
        files["SHA256SUMS.gpg"] = File.ReadAllBytes(Path.Combine(server, "SHA256SUMS.gpg"));
        return files;
    }

    private void Define(string url, SigningKey key)
    {
        Directory.CreateDirectory(_dir["defs"]);
        File.WriteAllBytes(_dir["keyring.gpg"], key.PublicKeyring);
        File.WriteAllText(_dir["defs/os.transfer"], $"""
            [Source]
            Type=url-file
            Path={url}
            MatchPattern=os_@v.raw

            [Target]
            Type=regular-file
            Path={_dir["target"]}
            MatchPattern=os_@v.raw
            """);
    }

    private static async Task Serve(Dictionary<string, byte[]> files, HttpContext context)
    {
        if (!files.TryGetValue(context.Request.Path.Value!.TrimStart('/'), out var content))
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.ContentLength = content.Length;
        await context.Response.Body.WriteAsync(content);
    }
}
