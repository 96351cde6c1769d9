using System.Collections.Concurrent;
using System.Security.Cryptography;
using ImageUpdate.Tests.Platform.Btrfs;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Update.Staging;

/// <summary>
/// `image-update fetch` from a real HTTP server into a fresh subvolume, then `image-update
/// STAGING_DIR`: the whole split-trust flow. A cut download resumes; a second fetch of the same
/// version downloads no payload again.
/// </summary>
[Collection(BtrfsCollection.Name)]
public sealed class StagingFetchTests(BtrfsLoopMount mount) : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SigningKey _key = new();

    public void Dispose()
    {
        _dir.Dispose();
        _key.Dispose();
    }

    [Fact]
    public async Task Fetch_then_install_the_staged_update()
    {
        mount.Require();

        var payload = RandomNumberGenerator.GetBytes(6 << 20);
        var old = RandomNumberGenerator.GetBytes(1000);
        var big = new RangeFileEndpoint(payload) { CutAfter = i => i == 0 ? 2 << 20 : null };
        var manifest = $"{Convert.ToHexStringLower(SHA256.HashData(old))}  os_1.raw\n{Convert.ToHexStringLower(SHA256.HashData(payload))}  os_2.raw\n";
        File.WriteAllText(_dir["SHA256SUMS"], manifest);
        _key.SignDetached(_dir["SHA256SUMS"]);
        var files = new ConcurrentDictionary<string, byte[]>
        {
            ["os_1.raw"] = old,
            ["SHA256SUMS"] = File.ReadAllBytes(_dir["SHA256SUMS"]),
            ["SHA256SUMS.gpg"] = File.ReadAllBytes(_dir["SHA256SUMS.gpg"]),
        };
        await using var server = await TestHttpServer.StartAsync(async (context, stopping) =>
        {
            var name = context.Request.Path.Value!.TrimStart('/');
            if (name == "os_2.raw")
            {
                await big.HandleAsync(context, stopping);
            }
            else if (files.TryGetValue(name, out var content))
            {
                context.Response.ContentLength = content.Length;
                await context.Response.Body.WriteAsync(content, stopping);
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });
        Directory.CreateDirectory(_dir["defs"]);
        File.WriteAllBytes(_dir["keyring.gpg"], _key.PublicKeyring);
        File.WriteAllText(_dir["defs/os.transfer"], $"""
            [Source]
            Type=url-file
            Path=https://updates.example.org/os
            MatchPattern=os_@v.raw

            [Target]
            Type=regular-file
            Path={_dir["system"]}
            MatchPattern=os_@v.raw
            """);
        var staging = mount.NewPath("fetched");
        string[] common = ["--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"]];

        Assert.Contains("Nothing staged yet", (await ImageUpdateProcess.RunAsync(null, [.. common, staging])).Stdout);
        var fetch = await ImageUpdateProcess.RunAsync(null, [.. common, "fetch", "--from", server.BaseAddress.ToString().TrimEnd('/'), staging]);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        Assert.Equal(["SHA256SUMS", "SHA256SUMS.gpg", "os_2.raw"], Directory.GetFileSystemEntries(staging).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(big.BytesSent < payload.Length + (2 << 20), "the cut download started over");

        var sent = big.BytesSent;
        var again = await ImageUpdateProcess.RunAsync(null, [.. common, "fetch", "--from", server.BaseAddress.ToString().TrimEnd('/'), staging]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(sent, big.BytesSent);

        var install = await ImageUpdateProcess.RunAsync(null, [.. common, staging]);
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(payload, File.ReadAllBytes(_dir["system/os_2.raw"]));
    }

    [Fact]
    public async Task A_version_listed_in_a_subdirectory_is_refused_before_anything_is_downloaded()
    {
        mount.Require();

        var payload = RandomNumberGenerator.GetBytes(1000);
        File.WriteAllText(_dir["SHA256SUMS"], $"{Convert.ToHexStringLower(SHA256.HashData(payload))}  sub/os_2.raw\n");
        _key.SignDetached(_dir["SHA256SUMS"]);
        var files = new ConcurrentDictionary<string, byte[]>
        {
            ["sub/os_2.raw"] = payload,
            ["SHA256SUMS"] = File.ReadAllBytes(_dir["SHA256SUMS"]),
            ["SHA256SUMS.gpg"] = File.ReadAllBytes(_dir["SHA256SUMS.gpg"]),
        };
        var requested = new ConcurrentQueue<string>();
        await using var server = await TestHttpServer.StartAsync(async (context, stopping) =>
        {
            var name = context.Request.Path.Value!.TrimStart('/');
            requested.Enqueue(name);
            if (files.TryGetValue(name, out var content))
            {
                context.Response.ContentLength = content.Length;
                await context.Response.Body.WriteAsync(content, stopping);
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });
        Directory.CreateDirectory(_dir["defs"]);
        File.WriteAllBytes(_dir["keyring.gpg"], _key.PublicKeyring);
        File.WriteAllText(_dir["defs/os.transfer"], $"""
            [Source]
            Type=url-file
            Path=https://updates.example.org/os
            MatchPattern=**/os_@v.raw

            [Target]
            Type=regular-file
            Path={_dir["system"]}
            MatchPattern=os_@v.raw
            """);
        var staging = mount.NewPath("fetched");

        var fetch = await ImageUpdateProcess.RunAsync(null, ["--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], "fetch", "--from", server.BaseAddress.ToString().TrimEnd('/'), staging]);

        Assert.NotEqual(0, fetch.ExitCode);
        Assert.Contains("SHA256SUMS line 1: 'sub/os_2.raw' is in a subdirectory, but a staging directory is flat", fetch.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("sub/os_2.raw", requested);
        Assert.Empty(Directory.GetFileSystemEntries(staging));
    }
}
