using System.Security.Cryptography;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Planning;
using ImageUpdate.Model.Resources;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Platform.Transport;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Staging;

/// <summary>
/// `image-update fetch`: the untrusted side of a staged update (the downloading VM). Finds the
/// newest version every transfer's source offers at the server, downloads each transfer's file for
/// it into the staging directory under a dot-prefixed temporary name (resuming a cut download,
/// skipping a file already there with the listed hash), renames it into place, removes files of
/// other versions, and writes SHA256SUMS and its signature **last**: their arrival marks a
/// complete download. Stale SHA256SUMS* go first, so an interrupted fetch never looks complete.
/// Nothing here is trusted by the host, which verifies everything again. With <see cref="Have"/>, a
/// file the server also publishes as a casync index is staged as its index plus the chunks that the
/// index of the host's version lacks, in one pack (<see cref="StagingDeltaFetch"/>).
/// </summary>
public sealed class StagingFetch
{
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly EngineServices _services;
    private readonly IUpdateObserver _observer;

    /// <param name="services">The engine's effects; its <see cref="EngineServices.Clock"/> judges the manifest's freshness.</param>
    /// <param name="observer">Sees each download's bytes as they arrive (the terminal's progress line), as an update's copies.</param>
    public StagingFetch(EngineOptions options, ILogger logger, EngineServices? services = null, IUpdateObserver? observer = null)
    {
        _options = options;
        _services = services ?? EngineServices.Default;
        _logger = logger;
        _observer = observer ?? IUpdateObserver.None;
    }

    /// <summary>The staged name of the pack of chunks a delta fetch stages (it passes <see cref="StagingName"/>; the manifest never lists it).</summary>
    public const string ChunkPackName = "chunks.capack";

    /// <summary>--have: the version the host has installed (the host's --fetch-with passes it), whose chunks need not be staged.</summary>
    public string? Have { get; init; }

    /// <summary>Returns the version now staged, or null when the server offers no complete version.</summary>
    public async Task<string?> RunAsync(string baseUrl, string stagingDirectory, CancellationToken cancellationToken)
    {
        var staging = Path.GetFullPath(stagingDirectory);
        Directory.CreateDirectory(staging);
        var verify = _options.Keyring is not null;
        var definitions = HostFacts.LoadDefinitions(_options, _logger);

        using var fetcher = new UrlFetcher(UpdateEngine.TransportSettings(_options.Environment), _logger);
        var manifests = new RemoteManifests(fetcher, () => HostFacts.LoadKeyring(_options, _logger), new OpenPgpSignatureVerifier(_services.Clock), _logger,
            _options.Environment.VerifyFreshness, _services.Clock);
        var fetched = await manifests.GetRawAsync(baseUrl, verify, cancellationToken).ConfigureAwait(false);
        var manifest = fetched.Parsed;

        // Which version: the newest one every enabled transfer's patterns find in the manifest.
        var transfers = definitions.EnabledTransfers.ToList();
        var sources = transfers.Select(t => new ManifestSource(t.Source, _ => Task.FromResult(manifest), (_, _) => throw new InvalidOperationException(), n => n)).ToList();
        var inventories = new List<ResourceInventory>();
        foreach (var source in sources)
        {
            inventories.Add(await source.LoadAsync(cancellationToken).ConfigureAwait(false));
        }

        var plan = UpdateSetPlanner.Discover(
            transfers.Select((t, i) => new TransferInventory(t.Id, inventories[i], ResourceInventory.Empty, t.MinVersion, t.MaxVersion, t.ProtectVersions)).ToList(),
            offline: false);
        if (plan.Candidate is not { } set)
        {
            _logger.LogInformation("The server offers no version that is complete for every transfer.");
            return null;
        }

        // Stale markers first: until the new ones arrive, the directory does not look complete.
        foreach (var stale in Directory.EnumerateFiles(staging, "SHA256SUMS*"))
        {
            File.Delete(stale);
        }

        Durability.FsyncDirectory(staging);

        var wanted = transfers.Select(t => set.Instances[t.Id].Instance.Location is ManifestLocation listed
            ? listed.Entry
            : throw new InvalidOperationException("A manifest source lists only manifest entries.")).ToList();

        // A staging directory is one flat directory (StagingValidator refuses anything else), so a
        // subpath entry (sub/file, as systemd 262 allows) cannot be carried across; say so before
        // downloading anything rather than fail on the host.
        if (wanted.FirstOrDefault(e => e.FileName.Contains('/', StringComparison.Ordinal)) is { } nested)
        {
            throw new ConfigurationException(
                $"SHA256SUMS line {nested.Line}: '{UntrustedText.Escape(nested.FileName)}' is in a subdirectory, but a staging directory is flat; stage a version whose files the manifest lists without '/'.");
        }

        var delta = Have is { } have
            ? await new StagingDeltaFetch(fetcher, baseUrl, manifest, staging, _logger).RunAsync(
                [.. wanted.Select((e, i) => (e, inventories[i].Find(have)?.Location is ManifestLocation old ? old.Entry : null))], have, cancellationToken).ConfigureAwait(false)
            : null;
        for (var i = 0; i < wanted.Count; i++)
        {
            if (delta?.Files.Contains(wanted[i].FileName) == true)
            {
                _observer.OnProgress(set.Version, i, wanted.Count, 1.0);
                continue;
            }

            var index = i;
            var progress = new Progress<DownloadProgress>(p => _observer.OnProgress(set.Version, index, wanted.Count, transfers[index].Id, new TransferProgress(p.Bytes, p.Total)));
            await FetchOneAsync(fetcher, baseUrl, wanted[i], staging, progress, cancellationToken).ConfigureAwait(false);
            _observer.OnProgress(set.Version, i, wanted.Count, 1.0);
        }

        var keep = wanted.Select(e => e.FileName).Where(n => delta?.Files.Contains(n) != true).Concat(delta?.StagedNames ?? []).ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(staging))
        {
            var name = Path.GetFileName(file);
            if (!name.StartsWith('.') && !keep.Contains(name))
            {
                _logger.LogInformation("Removing '{Name}' of another version.", name);
                File.Delete(file);
            }
        }

        // The very bytes the files were chosen and checked by: signature first, manifest last.
        if (fetched.SignatureName is { } signatureName)
        {
            StagingDeltaFetch.WriteDurably(staging, signatureName, fetched.Signature!);
        }

        StagingDeltaFetch.WriteDurably(staging, "SHA256SUMS", fetched.Raw);
        _logger.LogInformation("Staged version '{Version}' in '{Staging}'.", set.Version, staging);
        return set.Version;
    }

    private async Task FetchOneAsync(UrlFetcher fetcher, string baseUrl, ManifestEntry entry, string staging, IProgress<DownloadProgress> progress, CancellationToken cancellationToken)
    {
        var final = Path.Combine(staging, entry.FileName);
        if (File.Exists(final) && entry.Matches(await HashAsync(final, cancellationToken).ConfigureAwait(false)))
        {
            _logger.LogInformation("'{Name}' is already staged.", entry.FileName);
            return;
        }

        var partial = Path.Combine(staging, "." + entry.FileName + ".partial");
        var url = RemoteManifests.Entry(baseUrl, entry.FileName);
        _logger.LogInformation("Fetching {Url}…", DownloadException.Describe(url));
        await fetcher.DownloadToFileAsync(url, partial, UpdateEngine.MaxDownloadBytes, progress, cancellationToken).ConfigureAwait(false);
        if (!entry.Matches(await HashAsync(partial, cancellationToken).ConfigureAwait(false)))
        {
            File.Delete(partial);
            throw new VerificationException($"'{UntrustedText.Escape(entry.FileName)}' from {DownloadException.Describe(url)} does not match its SHA256SUMS line.");
        }

        Durability.FsyncFile(partial);
        AtomicRename.Rename(partial, final, replace: true);
    }

    private static async Task<byte[]> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
    }
}
