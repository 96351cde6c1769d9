using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace ImageUpdate.Tests.Support;

/// <summary>
/// A signed update server for one `os_@v.raw` transfer, for the tests that run the program against a
/// local HTTP server: the served files (payloads, SHA256SUMS and its detached signature), the
/// definitions and keyring that point at it, and a handler that serves the files by name.
/// </summary>
internal static class SignedOsServer
{
    /// <summary>Writes SHA256SUMS(.gpg) for <paramref name="payloads"/> under DIR/server; returns every file by name.</summary>
    public static Dictionary<string, byte[]> Publish(TempDirectory dir, SigningKey key, params (string Name, byte[] Content)[] payloads)
    {
        var server = Directory.CreateDirectory(dir["server"]).FullName;
        var lines = payloads.Select(p => $"{Convert.ToHexStringLower(SHA256.HashData(p.Content))}  {p.Name}\n");
        File.WriteAllText(Path.Combine(server, "SHA256SUMS"), string.Concat(lines));
        key.SignDetached(Path.Combine(server, "SHA256SUMS"));
        var files = payloads.ToDictionary(p => p.Name, p => p.Content);
        files["SHA256SUMS"] = File.ReadAllBytes(Path.Combine(server, "SHA256SUMS"));
        files["SHA256SUMS.gpg"] = File.ReadAllBytes(Path.Combine(server, "SHA256SUMS.gpg"));
        return files;
    }

    /// <summary>DIR/defs/os.transfer from <paramref name="url"/> into DIR/target, and DIR/keyring.gpg trusting <paramref name="key"/>.</summary>
    public static void Define(TempDirectory dir, string url, SigningKey key)
    {
        Directory.CreateDirectory(dir["defs"]);
        Directory.CreateDirectory(dir["target"]);
        File.WriteAllBytes(dir["keyring.gpg"], key.PublicKeyring);
        File.WriteAllText(dir["defs/os.transfer"], $"""
            [Source]
            Type=url-file
            Path={url}
            MatchPattern=os_@v.raw

            [Target]
            Type=regular-file
            Path={dir["target"]}
            MatchPattern=os_@v.raw
            """);
    }

    /// <summary>Answers a request with the file of that name, or 404.</summary>
    public static async Task Serve(Dictionary<string, byte[]> files, HttpContext context)
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
