using ImageUpdate.Formats.Gpt;
using ImageUpdate.Platform.Processes;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Publishing;
using Microsoft.AspNetCore.Http;

namespace ImageUpdate.Tests.Update.Delta;

/// <summary>
/// A disk image with two root-x86-64 `_empty` slots, a url-file transfer os_@v.raw into them, and a
/// server directory where `publish --chunk-store` put v1 (random, fixed seed) and v2 (v1 with 5% of
/// its bytes rewritten in runs at fixed-seed random offsets), signed with the given key.
/// </summary>
internal sealed class DeltaScenario : IDisposable
{
    public const string RootType = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709";

    private readonly TempDirectory _dir = new("image-update-delta-");
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _requests = new();
    private long _served;

    public DeltaScenario(SigningKey key, int imageBytes)
    {
        V1 = DeltaTestData.Random(imageBytes, 11);
        V2 = DeltaTestData.Rewrite(V1, 0.05, 12);
        Directory.CreateDirectory(Payloads);
        Directory.CreateDirectory(Server);
        Directory.CreateDirectory(Definitions);
        var slotSectors = (imageBytes + (4 << 20)) / 512;
        GptTools.NewImage(_dir.Path, "disk.raw", (2L * slotSectors * 512) + (2L << 20));
        GptTools.Sfdisk(Disk, $"""
            label: gpt
            unit: sectors
            sector-size: 512

            size={slotSectors}, type={RootType}, name=_empty
            size={slotSectors}, type={RootType}, name=_empty

            """);
        Define("http://unused.invalid/");
        File.WriteAllBytes(_dir["secret-key"], key.ExportSecretKey());
        File.WriteAllBytes(Path.Combine(Payloads, "os_1.raw"), V1);
        Publish("1");
        File.Delete(Path.Combine(Payloads, "os_1.raw"));
        File.WriteAllBytes(Path.Combine(Payloads, "os_2.raw"), V2);
        Publish("2");
    }

    public byte[] V1 { get; }

    public byte[] V2 { get; }

    public string Server => _dir["server"];

    public string Store => Path.Combine(Server, "default.castr");

    public string Payloads => _dir["payloads"];

    public string Definitions => _dir["defs"];

    public string Disk => _dir["disk.raw"];

    public string this[string relative] => _dir[relative];

    /// <summary>Body bytes <see cref="ServeAsync"/> sent since the last <see cref="ResetServed"/>.</summary>
    public long Served => Interlocked.Read(ref _served);

    public void ResetServed()
    {
        Interlocked.Exchange(ref _served, 0);
        _requests.Clear();
    }

    /// <summary>The paths <see cref="ServeAsync"/> was asked for since the last <see cref="ResetServed"/>, found or not.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>image-update's state directory for <see cref="Engine"/> without a root (the test's own, not the host's).</summary>
    public string StateDirectory => _dir["state"];

    /// <summary>The index cache's entries in <paramref name="stateDirectory"/> (default: <see cref="StateDirectory"/>).</summary>
    public IReadOnlyList<string> CachedIndexes(string? stateDirectory = null)
    {
        var directory = Path.Combine(stateDirectory ?? StateDirectory, ImageUpdate.Update.Delta.IndexCache.DirectoryName);
        return Directory.Exists(directory) ? [.. Directory.GetFiles(directory).Order(StringComparer.Ordinal)] : [];
    }

    /// <summary>Empties the index cache, for tests of what the server's indexes do.</summary>
    public void ForgetCachedIndexes()
    {
        foreach (var entry in CachedIndexes())
        {
            File.Delete(entry);
        }
    }

    /// <summary>The transfer reads from <paramref name="url"/>; with <paramref name="fileTarget"/>, it writes files there instead of slots.</summary>
    /// <param name="disk">The disk's path as the definitions name it (under a root: inside it); default <see cref="Disk"/>.</param>
    public void Define(string url, string? fileTarget = null, string? disk = null)
    {
        var target = fileTarget is null
            ? $"""
                Type=partition
                Path={disk ?? Disk}
                MatchPattern=os-@v
                MatchPartitionType=root-x86-64
                """
            : $"""
                Type=regular-file
                Path={fileTarget}
                MatchPattern=os_@v.raw
                """;
        File.WriteAllText(Path.Combine(Definitions, "os.transfer"), $"""
            [Source]
            Type=url-file
            Path={url}
            MatchPattern=os_@v.raw

            [Target]
            {target}
            """);
    }

    /// <summary>
    /// An engine over the definitions; its state (the index cache) in <see cref="StateDirectory"/>, or
    /// with <paramref name="root"/>, as --root, where the root puts it.
    /// </summary>
    public UpdateEngine Engine(Microsoft.Extensions.Logging.ILogger logger, IReadOnlyList<string>? seeds = null, string? root = null, int? instancesMax = null)
    {
        var environment = new Dictionary<string, string> { [HostEnvironment.LockPathVariable] = _dir["image-update.lock"] };
        if (root is null)
        {
            environment[HostEnvironment.StateDirectoryVariable] = StateDirectory;
        }

        return new(
            new EngineOptions
            {
                Root = root ?? "/",
                DefinitionsDirectory = Definitions,
                Keyring = Path.Combine(Server, "keyring.gpg"),
                Seeds = seeds ?? [],
                InstancesMax = instancesMax,
                Environment = new HostEnvironment(environment),
            },
            logger);
    }

    /// <summary>The root slot labelled os-<paramref name="version"/>, installed (final type), and its bytes.</summary>
    public byte[] Installed(string version, int length)
    {
        var table = GptTools.SfdiskJson(Disk);
        var slot = Assert.Single(table.Partitions, p => p.Name == $"os-{version}");
        Assert.Equal(new Guid(RootType), slot.Type);
        using var file = new FileStream(Disk, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        file.Position = (long)slot.Start * 512;
        var bytes = new byte[length];
        file.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Whether any slot is pending (D(T)).</summary>
    public bool AnyPending() =>
        GptTools.SfdiskJson(Disk).Partitions.Any(p => p.Type == PartitionStates.PendingTypeFor(new Guid(RootType)));

    /// <summary>Kestrel's handler: the server directory's files by path, 404 for anything else; counts body bytes.</summary>
    public async Task ServeAsync(HttpContext context, CancellationToken stopping)
    {
        _requests.Enqueue(context.Request.Path.Value!);
        var relative = Uri.UnescapeDataString(context.Request.Path.Value!.TrimStart('/'));
        var path = Path.GetFullPath(Path.Combine(Server, relative));
        if (!path.StartsWith(Server + "/", StringComparison.Ordinal) || !File.Exists(path))
        {
            context.Response.StatusCode = 404;
            return;
        }

        var content = await File.ReadAllBytesAsync(path, stopping);
        context.Response.ContentLength = content.Length;
        await context.Response.Body.WriteAsync(content, stopping);
        Interlocked.Add(ref _served, content.Length);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Publishes <paramref name="payload"/> as os_<paramref name="version"/>.raw beside what the server has.</summary>
    public void Publish(string version, byte[] payload)
    {
        foreach (var old in Directory.GetFiles(Payloads))
        {
            File.Delete(old);
        }

        File.WriteAllBytes(Path.Combine(Payloads, $"os_{version}.raw"), payload);
        Publish(version);
    }

    /// <summary>Writes <paramref name="bytes"/> at the start of partition <paramref name="number"/> (1-based), whatever its label.</summary>
    public void WriteIntoSlot(int number, byte[] bytes)
    {
        var slot = GptTools.SfdiskJson(Disk).Partitions[number - 1];
        using var file = new FileStream(Disk, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        file.Position = (long)slot.Start * 512;
        file.Write(bytes);
    }

    private void Publish(string version) =>
        new Publisher(new ProcessRunner()).PublishAsync(
            new PublishOptions
            {
                DefinitionsDirectory = Definitions,
                Version = version,
                PayloadsDirectory = Payloads,
                OutputDirectory = Server,
                SigningKeyPath = _dir["secret-key"],
                ChunkStore = true,
            },
            CancellationToken.None).GetAwaiter().GetResult();
}
