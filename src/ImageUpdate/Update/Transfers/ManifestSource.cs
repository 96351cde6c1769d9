using ImageUpdate.Formats.Verification;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Resources;
using ImageUpdate.Update.Delta;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// A source whose instances are the entries of a (verified) SHA256SUMS manifest: url-file and
/// url-tar sources on a server, and the files of a staged update. Only names the manifest lists can
/// become instances, each carries the manifest's SHA-256, and its bytes are checked against it as
/// they are read, so nothing unlisted is ever opened and nothing mismatching is ever installed.
/// </summary>
public sealed class ManifestSource : ISourceResource
{
    private readonly SourceDefinition _definition;
    private readonly Func<CancellationToken, Task<Sha256Manifest>> _manifest;
    private readonly Func<string, CancellationToken, Task<Stream>> _open;
    private readonly Func<string, string> _describe;
    private readonly DeltaInstaller? _delta;
    private readonly Func<string, long?>? _size;

    /// <param name="manifest">The manifest, already verified; called when the instances are first needed.</param>
    /// <param name="open">Opens the bytes of a listed file name.</param>
    /// <param name="describe">The path or URL an instance shows for a listed file name.</param>
    /// <param name="delta">
    /// When given, a url-file payload P whose manifest also lists P.caibx is rebuilt from that index,
    /// from the payload's seeds and the chunk source the installer gives for P (a server's
    /// default.castr, a staged pack), instead of being read whole; the result is checked against P's
    /// SHA-256 exactly like a whole file. Null: every payload is read whole, as before.
    /// </param>
    /// <param name="size">
    /// The bytes a listed file name writes when known without reading it (a staged file's length,
    /// <see cref="LocalPayloadSize"/>); null: never known before the write.
    /// </param>
    public ManifestSource(SourceDefinition definition, Func<CancellationToken, Task<Sha256Manifest>> manifest, Func<string, CancellationToken, Task<Stream>> open, Func<string, string> describe, DeltaInstaller? delta = null, Func<string, long?>? size = null)
    {
        _size = size;
        _definition = definition;
        _manifest = manifest;
        _open = open;
        _describe = describe;
        _delta = delta;
    }

    public async Task<ResourceInventory> LoadAsync(CancellationToken cancellationToken)
    {
        var manifest = await _manifest(cancellationToken).ConfigureAwait(false);
        var instances = new List<Instance>();
        foreach (var entry in manifest.Entries)
        {
            var match = _definition.Patterns.Match(entry.FileName);
            if (match.Kind != PatternMatchKind.Match)
            {
                continue;
            }

            var metadata = match.Metadata!;
            if (metadata.Sha256 is { } fromName && !string.Equals(fromName, entry.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new VerificationException($"{manifest.Origin}:{entry.Line}: the SHA-256 in the file name '{UntrustedText.Escape(entry.FileName)}' is not the one the manifest lists, refusing.");
            }

            instances.Add(new Instance(_describe(entry.FileName), metadata with { Sha256 = entry.Sha256.ToLowerInvariant() }) { Location = new ManifestLocation(entry) });
        }

        return new ResourceInventory(instances);
    }

    /// <summary>A url-file payload's size when <c>size</c> was given and knows it; a tarball's is its tree's, never known.</summary>
    public Task<long?> SizeAsync(Instance instance, CancellationToken cancellationToken) =>
        Task.FromResult(_size is not null && instance.Location is ManifestLocation listed && _definition.Type is not (ResourceType.UrlTar or ResourceType.Tar)
            ? _size(listed.Entry.FileName)
            : null);

    public SourcePayload Open(Instance instance)
    {
        var entry = instance.Location is ManifestLocation listed
            ? listed.Entry
            : throw new InvalidOperationException("A manifest source opens only the instances it listed.");
        var kind = _definition.Type is ResourceType.UrlTar or ResourceType.Tar ? PayloadKind.Tar : PayloadKind.File;
        if (_delta is not { } delta || kind != PayloadKind.File)
        {
            return SourcePayload.FromStream(kind, instance.Path, async cancellationToken =>
            {
                var stream = await _open(entry.FileName, cancellationToken).ConfigureAwait(false);
                return new VerifyingStream(stream, entry.Sha256, instance.Path);
            });
        }

        var counters = new DeltaCounters();
        return SourcePayload.FromSeededStream(kind, instance.Path, async (seeds, cancellationToken) =>
        {
            var manifest = await _manifest(cancellationToken).ConfigureAwait(false);
            var indexName = entry.FileName + DeltaInstaller.IndexSuffix;
            var index = manifest.Entries.FirstOrDefault(e => string.Equals(e.FileName, indexName, StringComparison.Ordinal));
            var request = new DeltaRequest(entry.FileName, index, _open, seeds, counters)
            {
                IndexOfVersion = version => IndexOf(manifest, version),
                FileOfVersion = version => FileOf(manifest, version),
                Version = instance.Metadata.Version,
            };
            var stream = await delta.OpenAsync(request, cancellationToken).ConfigureAwait(false);
            return new VerifyingStream(stream, entry.Sha256, instance.Path);
        }, counters);
    }

    /// <summary>The entry of the index (P.caibx) of the listed file this source's patterns give <paramref name="version"/>, if the manifest lists both.</summary>
    private ManifestEntry? IndexOf(Sha256Manifest manifest, string version) =>
        FileOf(manifest, version) is { } file
            ? manifest.Entries.First(e => string.Equals(e.FileName, file.FileName + DeltaInstaller.IndexSuffix, StringComparison.Ordinal))
            : null;

    /// <summary>The entry of the listed file this source's patterns give <paramref name="version"/>, if the manifest also lists its index.</summary>
    private ManifestEntry? FileOf(Sha256Manifest manifest, string version)
    {
        var names = manifest.Entries.Select(e => e.FileName).ToHashSet(StringComparer.Ordinal);
        return manifest.Entries.FirstOrDefault(e =>
            names.Contains(e.FileName + DeltaInstaller.IndexSuffix)
            && _definition.Patterns.Match(e.FileName) is { Kind: PatternMatchKind.Match, Metadata.Version: var v }
            && string.Equals(v, version, StringComparison.Ordinal));
    }
}
