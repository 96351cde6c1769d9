using ImageUpdate.Formats.Verification;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Platform.Transport;
using ImageUpdate.Update.Delta;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Update.Engine;

public sealed partial class UpdateEngine : IDisposable
{
    /// <summary>No single download may exceed this (an endless response stops here; a partition slot bounds it further).</summary>
    public const long MaxDownloadBytes = 256L * 1024 * 1024 * 1024;

    /// <summary>Where `publish --chunk-store` puts the chunks, beside the payloads and their indexes.</summary>
    public const string ChunkStoreDirectory = "default.castr";

    private UrlFetcher? _fetcher;
    private RemoteManifests? _manifests;

    public void Dispose() => _fetcher?.Dispose();

    /// <summary>Proxies from the environment; IMAGE_UPDATE_STALL_TIMEOUT (seconds) for slow or lossy links.</summary>
    internal static TransportOptions TransportSettings(HostEnvironment environment)
    {
        var options = new TransportOptions { Environment = environment.Variables };
        if (environment.Variables.TryGetValue(HostEnvironment.StallTimeoutVariable, out var value))
        {
            options = int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                ? options with { StallTimeout = TimeSpan.FromSeconds(seconds) }
                : throw new Foundation.Errors.UsageException($"IMAGE_UPDATE_STALL_TIMEOUT must be a number of seconds, not '{Foundation.Errors.UntrustedText.Escape(value)}'.");
        }

        return options;
    }

    /// <summary>A url-file or url-tar source: the manifest's entries, fetched (resumably) and checked against it.</summary>
    private ManifestSource UrlSource(TransferDefinition transfer, string baseUrl)
    {
        var verify = _options.Verify ?? transfer.Verify;
        _fetcher ??= new UrlFetcher(TransportSettings(_options.Environment), _logger);
        _manifests ??= new RemoteManifests(
            _fetcher,
            LoadKeyring,
            new OpenPgpSignatureVerifier(_services.Clock),
            _logger,
            _options.Environment.VerifyFreshness,
            _services.Clock);
        var fetcher = _fetcher;
        var manifests = _manifests;
        var store = RemoteManifests.Entry(baseUrl, ChunkStoreDirectory);
        return new ManifestSource(
            transfer.Source,
            cancellationToken => manifests.GetAsync(baseUrl, verify, cancellationToken),
            (name, cancellationToken) => fetcher.OpenResumableAsync(RemoteManifests.Entry(baseUrl, name), MaxDownloadBytes, cancellationToken),
            name => RemoteManifests.Entry(baseUrl, name).ToString(),
            new DeltaInstaller(_ => new RemoteChunkStore(fetcher, store), _logger) { Cache = IndexCacheOrNull() });
    }
}
