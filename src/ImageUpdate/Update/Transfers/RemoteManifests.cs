using System.Collections.Concurrent;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Transport;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// The SHA256SUMS manifests of URL sources, fetched once per run and per (URL, verify) pair as
/// sysupdate caches them. With verification on, the detached signature (SHA256SUMS.gpg, else
/// SHA256SUMS.asc) is checked against the trusted keyring **before** a single byte of the manifest
/// is parsed; then the manifest is parsed strictly and its BEST-BEFORE markers enforced.
/// </summary>
public sealed class RemoteManifests
{
    /// <summary>No manifest or signature needs more; a server sending more is refused early.</summary>
    public const long MaxManifestBytes = 16 * 1024 * 1024;
    public const long MaxSignatureBytes = 64 * 1024;

    private readonly UrlFetcher _fetcher;
    private readonly Func<Keyring> _keyring;
    private readonly ISignatureVerifier _verifier;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string? _verifyFreshness;
    private readonly ConcurrentDictionary<(string Url, bool Verify, bool WithSignature), Task<FetchedManifest>> _cache = new();

    public RemoteManifests(UrlFetcher fetcher, Func<Keyring> keyring, ISignatureVerifier verifier, ILogger logger, string? verifyFreshness, TimeProvider? time = null)
    {
        _fetcher = fetcher;
        _keyring = keyring;
        _verifier = verifier;
        _logger = logger;
        _verifyFreshness = verifyFreshness;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The manifest as fetched: parsed, and the exact bytes with their signature (what a staging fetch passes on).</summary>
    public sealed record FetchedManifest(Sha256Manifest Parsed, byte[] Raw, string? SignatureName, byte[]? Signature);

    /// <summary>The parsed manifest; the signature is only fetched (and then required) when verifying, as sysupdate does.</summary>
    public async Task<Sha256Manifest> GetAsync(string baseUrl, bool verify, CancellationToken cancellationToken) =>
        (await Get(baseUrl, verify, withSignature: verify, cancellationToken).ConfigureAwait(false)).Parsed;

    /// <summary>The manifest with its signature when the server has one (a staging fetch passes both on).</summary>
    public Task<FetchedManifest> GetRawAsync(string baseUrl, bool verify, CancellationToken cancellationToken) =>
        Get(baseUrl, verify, withSignature: true, cancellationToken);

    private Task<FetchedManifest> Get(string baseUrl, bool verify, bool withSignature, CancellationToken cancellationToken) =>
        _cache.GetOrAdd((baseUrl, verify, withSignature), key => FetchAsync(key.Url, key.Verify, key.WithSignature, cancellationToken));

    /// <summary>
    /// The URL of a file listed in the manifest at <paramref name="baseUrl"/>. A subpath entry
    /// (<c>sub/file</c>, which <see cref="Sha256Manifest"/> admits only normalized and without '%') is
    /// fetched from the same subpath, as systemd 262 does: each component is escaped, the '/' kept.
    /// </summary>
    public static Uri Entry(string baseUrl, string name) =>
        new(baseUrl.TrimEnd('/') + "/" + string.Join('/', name.Split('/').Select(Uri.EscapeDataString)));

    private async Task<FetchedManifest> FetchAsync(string baseUrl, bool verify, bool withSignature, CancellationToken cancellationToken)
    {
        var manifestUrl = Entry(baseUrl, "SHA256SUMS");
        _logger.LogInformation("Acquiring manifest file {Url}…", DownloadException.Describe(manifestUrl));
        var manifest = await _fetcher.GetSmallAsync(manifestUrl, MaxManifestBytes, cancellationToken).ConfigureAwait(false)
            ?? throw new DownloadException(manifestUrl, DownloadFailure.NotFound, "there is no SHA256SUMS manifest");

        string? signatureName = "SHA256SUMS.gpg";
        var signature = withSignature
            ? await _fetcher.GetSmallAsync(Entry(baseUrl, signatureName), MaxSignatureBytes, cancellationToken).ConfigureAwait(false)
            : null;
        if (signature is null && withSignature)
        {
            signatureName = "SHA256SUMS.asc";
            signature = await _fetcher.GetSmallAsync(Entry(baseUrl, signatureName), MaxSignatureBytes, cancellationToken).ConfigureAwait(false);
        }

        if (signature is null)
        {
            signatureName = null;
        }

        if (verify)
        {
            if (signature is null)
            {
                throw new VerificationException(
                    $"No signature for {DownloadException.Describe(manifestUrl)} (neither SHA256SUMS.gpg nor SHA256SUMS.asc), refusing: Verify=yes.");
            }

            var verified = _verifier.VerifyDetached(manifest, signature, _keyring());
            _logger.LogInformation("Signature {Name} by key {Fingerprint} is good.", signatureName, verified.SigningKeyFingerprint);
        }

        var parsed = Sha256Manifest.Parse(manifest, DownloadException.Describe(manifestUrl));
        foreach (var warning in parsed.Warnings)
        {
            _logger.LogWarning("{Warning}", warning);
        }

        if (parsed.CheckFreshness(_time.GetUtcNow(), _verifyFreshness) == ManifestFreshness.StaleIgnored)
        {
            _logger.LogWarning("The file list at {Url} is past its best-before date, but told to ignore this.", DownloadException.Describe(manifestUrl));
        }

        return new FetchedManifest(parsed, manifest, signatureName, signature);
    }
}
