using System.Security.Cryptography;
using ImageUpdate.Platform.Processes;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Publishing;

namespace ImageUpdate.Tests.Update.Publishing;

/// <summary>
/// A definitions directory with a url-file transfer (app_@v.bin) and a url-tar transfer
/// (tree_@v.tar), a payload directory and an empty server directory, all under one temp directory.
/// </summary>
public sealed class PublishScenario : IDisposable
{
    private readonly TempDirectory _dir = new("image-update-publish-");

    public PublishScenario(byte[] secretKey)
    {
        Directory.CreateDirectory(Definitions);
        Directory.CreateDirectory(Payloads);
        Directory.CreateDirectory(Output);
        File.WriteAllBytes(KeyPath, secretKey);
        WriteTransfer("10-app", "url-file", "app_@v.bin", "regular-file", _dir["target"], "app_@v.bin");
        WriteTransfer("20-tree", "url-tar", "tree_@v.tar", "directory", _dir["trees"], "tree_@v");
    }

    public string Root => _dir.Path;

    public string Definitions => _dir["defs"];

    public string Payloads => _dir["payloads"];

    public string Output => _dir["server"];

    public string KeyPath => _dir["secret-key"];

    public string Target => _dir["target"];

    public string Trees => _dir["trees"];

    public string this[string relative] => _dir[relative];

    public void WriteTransfer(string id, string sourceType, string sourcePattern, string targetType, string targetPath, string targetPattern) =>
        File.WriteAllText(Path.Combine(Definitions, id + ".transfer"), $"""
            [Source]
            Type={sourceType}
            Path=file://{Output}
            MatchPattern={sourcePattern}

            [Target]
            Type={targetType}
            Path={targetPath}
            MatchPattern={targetPattern}
            """);

    /// <summary>Writes app_V.bin (random bytes, compressible) and tree_V.tar (one file "version") into the payloads.</summary>
    public byte[] AddPayloads(string version)
    {
        // Half random, half zeros: something for the compressors to do, and unique per version.
        var payload = new byte[200_000];
        RandomNumberGenerator.Fill(payload.AsSpan(0, 100_000));
        File.WriteAllBytes(Path.Combine(Payloads, $"app_{version}.bin"), payload);
        var tree = Directory.CreateDirectory(_dir[$"tree-src-{version}"]).FullName;
        File.WriteAllText(Path.Combine(tree, "version"), version);
        Test72Scenario.Run("tar", "-C", tree, "-cf", Path.Combine(Payloads, $"tree_{version}.tar"), ".");
        return payload;
    }

    public PublishOptions Options(string version) => new()
    {
        DefinitionsDirectory = Definitions,
        Version = version,
        PayloadsDirectory = Payloads,
        OutputDirectory = Output,
        SigningKeyPath = KeyPath,
    };

    public Task<PublishResult> PublishAsync(PublishOptions options) =>
        new Publisher(new ProcessRunner()).PublishAsync(options, CancellationToken.None);

    public string Manifest => File.ReadAllText(Path.Combine(Output, "SHA256SUMS"));

    public void Dispose() => _dir.Dispose();
}
