using System.Collections.Concurrent;
using System.Security.Cryptography;
using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Formats.Casync;
using ImageUpdate.Tests.Platform.Transport;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Update.Staging;

/// <summary>
/// An update server laid out as `publish --chunk-store` lays it out (os_V.raw, os_V.raw.caibx, a
/// signed SHA256SUMS listing both, default.castr/) for one `os_@v.raw` transfer, served by Kestrel
/// from DIR/server. It counts the body bytes it sends and records every path asked for.
/// </summary>
internal sealed class ChunkedOsServer : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private TestHttpServer? _server;
    private long _bytesSent;

    public ChunkedOsServer(TempDirectory dir)
    {
        _dir = dir;
        Directory.CreateDirectory(Root);
    }

    public string Root => _dir["server"];

    public ChunkStore Store => new(Path.Combine(Root, "default.castr"));

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public ConcurrentQueue<string> Requests { get; } = new();

    public string Url => _server!.BaseAddress.ToString().TrimEnd('/');

    /// <summary>v1: random bytes; v2: v1 with <paramref name="runs"/> runs of 40 KiB rewritten at fixed places.</summary>
    public static (byte[] V1, byte[] V2) Versions(int length, int runs)
    {
        var v1 = CasyncTestData.Random(length, 61);
        var v2 = v1.ToArray();
        for (var i = 0; i < runs; i++)
        {
            CasyncTestData.Random(40 << 10, (ulong)(70 + i)).CopyTo(v2.AsSpan((int)((i + 0.5) * length / runs)));
        }

        return (v1, v2);
    }

    /// <summary>Writes each version's payload, its index and its chunks, then SHA256SUMS (listing <paramref name="listed"/> of them, all by default) and its signature.</summary>
    public async Task PublishAsync(SigningKey key, IReadOnlyDictionary<string, byte[]> versions, Func<string, bool>? listed = null)
    {
        var lines = new List<string>();
        foreach (var (version, payload) in versions)
        {
            var name = $"os_{version}.raw";
            await File.WriteAllBytesAsync(Path.Combine(Root, name), payload);
            var index = await CasyncBlob.IndexAsync(new MemoryStream(payload), Store, ChunkSizeLimits.Default, TestContext.Current.CancellationToken);
            await using (var file = File.Create(Path.Combine(Root, name + ".caibx")))
            {
                index.WriteTo(file);
            }

            foreach (var file in new[] { name, name + ".caibx" }.Where(listed ?? (_ => true)))
            {
                lines.Add($"{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Root, file))))}  {file}\n");
            }
        }

        await File.WriteAllTextAsync(Path.Combine(Root, "SHA256SUMS"), string.Concat(lines));
        File.Delete(Path.Combine(Root, "SHA256SUMS.gpg"));
        key.SignDetached(Path.Combine(Root, "SHA256SUMS"));
    }

    public CasyncIndex Index(string version)
    {
        using var file = File.OpenRead(Path.Combine(Root, $"os_{version}.raw.caibx"));
        return CasyncIndex.Read(file, "index");
    }

    public async Task StartAsync() => _server = await TestHttpServer.StartAsync(async (context, stopping) =>
    {
        var relative = Uri.UnescapeDataString(context.Request.Path.Value!.TrimStart('/'));
        Requests.Enqueue(relative);
        var path = Path.GetFullPath(Path.Combine(Root, relative));
        if (!path.StartsWith(Root + "/", StringComparison.Ordinal) || !File.Exists(path))
        {
            context.Response.StatusCode = 404;
            return;
        }

        var content = await File.ReadAllBytesAsync(path, stopping);
        context.Response.ContentLength = content.Length;
        await context.Response.Body.WriteAsync(content, stopping);
        Interlocked.Add(ref _bytesSent, content.Length);
    });

    /// <summary>DIR/defs/os.transfer (url-file os_@v.raw into DIR/system) and DIR/keyring.gpg.</summary>
    public void Define(SigningKey key)
    {
        Directory.CreateDirectory(_dir["defs"]);
        Directory.CreateDirectory(_dir["system"]);
        File.WriteAllBytes(_dir["keyring.gpg"], key.PublicKeyring);
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
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
