using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageUpdate.Formats.Compression;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Formats.Verification.Signing;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Platform.Processes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Update.Publishing;

/// <summary>
/// <c>image-update publish</c> (issue 6): puts a version's payloads into an update server directory
/// under the names the transfers' source patterns give, adds them to the directory's SHA256SUMS,
/// signs it into SHA256SUMS.gpg and exports the public keyring devices must trust.
/// </summary>
/// <remarks>
/// <para>Order of effects, so that a client never sees a listed file that is not there: every check
/// and all signing happen first (nothing in the output changes if one fails); then the payloads are
/// renamed into place, then SHA256SUMS, then SHA256SUMS.gpg, each written to a temporary name,
/// synced and renamed; files of pruned or replaced versions are deleted last. Between the last two
/// renames a client may briefly see the new list with the old signature and refuse it; the next
/// try succeeds.</para>
/// <para>With <see cref="PublishOptions.ChunkStore"/> each payload P (as served, so compressed when
/// --compress is given) is also chunked the way `casync make` does it: P.caibx is written beside P
/// and listed in SHA256SUMS, the chunks go into <see cref="ChunkStoreName"/> before anything is
/// renamed (they are named by their hash, so a chunk no index lists yet harms nobody), and chunks no
/// listed index references any longer are deleted after everything else.</para>
/// <para>Every transfer of the definitions is published, whether or not an optional feature
/// enables it on the build host: devices decide which features they enable.</para>
/// </remarks>
public sealed partial class Publisher
{
    /// <summary>The manifest and its signature, as sysupdate fetches them from the source URL.</summary>
    public const string ManifestName = "SHA256SUMS";
    public const string SignatureName = "SHA256SUMS.gpg";

    /// <summary>The chunk store beside the payloads, where casync and desync look by default for a blob index's chunks.</summary>
    public const string ChunkStoreName = "default.castr";

    /// <summary>The suffix of the casync blob index published beside each payload.</summary>
    public const string IndexSuffix = ".caibx";

    // The digest of an empty file, which a BEST-BEFORE marker lists (sysupdate.md §3).
    private const string EmptyFileSha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private const string TemporaryPrefix = ".publish-";

    private static readonly ResourceType[] PublishableSources = [ResourceType.UrlFile, ResourceType.UrlTar, ResourceType.RegularFile, ResourceType.Tar];

    private readonly PayloadCompressor _compressor;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public Publisher(IProcessRunner runner, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        _compressor = new PayloadCompressor(runner);
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <exception cref="PublishException">The version cannot be published (see the message).</exception>
    /// <exception cref="SigningKeyException">The signing key cannot be used.</exception>
    /// <exception cref="ConfigurationException">A definition is malformed.</exception>
    /// <exception cref="ManifestException">The SHA256SUMS already in the output is malformed.</exception>
    /// <exception cref="ExternalToolException">A compressor failed.</exception>
    public async Task<PublishResult> PublishAsync(PublishOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var version = options.Version;
        CheckOptions(options);

        // Two pipelines publishing into one directory would each extend the SHA256SUMS they read and
        // the second rename would drop the first one's lines: publishes take turns (a flock on the
        // directory itself, so nothing extra appears on the server).
        using var directoryLock = await FileLock.AcquireAsync(options.OutputDirectory, cancellationToken).ConfigureAwait(false);

        // Everything that can refuse comes before the first write.
        var key = OpenPgpSigningKey.Load(options.SigningKeyPath);
        var signedAt = DateTimeOffset.FromUnixTimeSeconds((options.SigningTime ?? _time.GetUtcNow()).ToUnixTimeSeconds());
        var transfers = LoadTransfers(options);
        var names = NamePayloads(transfers, options);
        var manifestPath = Path.Combine(options.OutputDirectory, ManifestName);
        var existing = ReadManifest(manifestPath);

        var listed = new List<(ManifestEntry Entry, string? Version)>();
        foreach (var entry in existing?.Entries ?? [])
        {
            listed.Add((entry, VersionOf(entry.FileName, transfers)));
        }

        var previous = listed.Where(l => l.Version is { } v && VersionComparer.CompareVersions(v, version) == 0).ToList();
        if (previous.Count > 0 && !options.Force)
        {
            throw new PublishException($"Version {UntrustedText.Escape(version)} is already published in {UntrustedText.Escape(manifestPath)} (as {UntrustedText.Escape(previous[0].Entry.FileName)}); give --force to replace it.");
        }

        var kept = listed.Except(previous).ToList();
        var versions = kept.Select(l => l.Version).OfType<string>().Append(version)
            .Distinct().OrderDescending(VersionComparer.Instance).ToList();
        var pruned = options.Keep is { } keep && versions.Count > keep ? versions[keep..] : [];
        if (pruned.Contains(version))
        {
            throw new PublishException($"Version {UntrustedText.Escape(version)} is older than the {options.Keep} newest already in {UntrustedText.Escape(manifestPath)} ({UntrustedText.Escape(string.Join(", ", versions.Take(options.Keep!.Value)))}), so --keep {options.Keep} would drop it at once.");
        }

        var dropped = kept.Where(l => l.Version is { } v && pruned.Contains(v)).ToList();
        kept = kept.Except(dropped).ToList();

        var temporaries = new List<string>();
        try
        {
            // The payloads, under temporary names.
            var files = new List<(PublishedFile File, string Temporary)>();
            foreach (var (transfer, name) in names)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var temporary = Temporary(options.OutputDirectory, name);
                temporaries.Add(temporary);
                var kind = await _compressor.WriteAsync(Path.Combine(options.PayloadsDirectory, name), temporary, options.Compression, cancellationToken).ConfigureAwait(false);
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                Durability.FsyncFile(temporary);
                files.Add((new PublishedFile(transfer.Id, name, Sha256Of(temporary), kind), temporary));
                _logger.LogInformation("Prepared {Name} for transfer {Transfer} ({Compression}).", name, transfer.Id, kind);
                if (options.ChunkStore)
                {
                    var indexName = name + IndexSuffix;
                    var indexTemporary = Temporary(options.OutputDirectory, indexName);
                    temporaries.Add(indexTemporary);
                    var index = await IndexAsync(temporary, indexTemporary, options.OutputDirectory, cancellationToken).ConfigureAwait(false);
                    files.Add((new PublishedFile(transfer.Id, indexName, Sha256Of(indexTemporary), CompressionKind.None), indexTemporary));
                    _logger.LogInformation("Prepared {Name}: {Chunks} chunks in {Store}.", indexName, index.Chunks.Count, ChunkStoreName);
                }
            }

            if (options.ChunkStore && Directory.Exists(Path.Combine(options.OutputDirectory, ChunkStoreName)))
            {
                // Every chunk on disk before the list that references it is renamed into place.
                Durability.SyncFileSystem(Path.Combine(options.OutputDirectory, ChunkStoreName));
            }

            // The new list and its signature, checked the way devices will check them.
            var entries = kept.Select(l => (l.Entry.FileName, l.Entry.Sha256, l.Entry.BinaryMode))
                .Concat(files.Select(f => (f.File.FileName, f.File.Sha256, BinaryMode: false)))
                .OrderBy(e => e.FileName, StringComparer.Ordinal)
                .ToList();
            if (existing?.BestBefore is { } oldDate && options.BestBefore is null)
            {
                _logger.LogWarning("Dropping the BEST-BEFORE-{Date} marker of the old {Manifest}: it belonged to the old signature; give --best-before to set a new one.", oldDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), manifestPath);
            }

            var manifest = FormatManifest(entries, options.BestBefore);
            var signature = key.SignDetached(manifest, signedAt);
            SelfCheck(manifest, signature, key, manifestPath);

            var manifestTemporary = Temporary(options.OutputDirectory, ManifestName);
            var signatureTemporary = Temporary(options.OutputDirectory, SignatureName);
            var keyringPath = options.KeyringPath;
            var keyringTemporary = Temporary(Path.GetDirectoryName(keyringPath)!, Path.GetFileName(keyringPath));
            temporaries.AddRange([manifestTemporary, signatureTemporary, keyringTemporary]);
            WriteDurably(manifestTemporary, manifest);
            WriteDurably(signatureTemporary, signature);
            WriteDurably(keyringTemporary, key.PublicKeyring);

            // The point of no return: the renames, payloads first and the signature last.
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var (file, temporary) in files)
            {
                AtomicRename.Rename(temporary, Path.Combine(options.OutputDirectory, file.FileName), replace: true);
            }

            AtomicRename.Rename(manifestTemporary, manifestPath, replace: true);
            AtomicRename.Rename(signatureTemporary, Path.Combine(options.OutputDirectory, SignatureName), replace: true);
            AtomicRename.Rename(keyringTemporary, keyringPath, replace: true);

            var current = new HashSet<string>(entries.Select(e => e.FileName), StringComparer.Ordinal) { ManifestName, SignatureName, Path.GetFileName(keyringPath) };
            var deleted = DeleteUnlisted(options.OutputDirectory, previous.Concat(dropped).Select(l => l.Entry.FileName), current);
            PruneChunkStore(options.OutputDirectory, entries.Select(e => e.FileName));
            foreach (var v in pruned)
            {
                _logger.LogInformation("Pruned version {Version} (--keep {Keep}).", v, options.Keep);
            }

            return new PublishResult(
                version,
                files.Select(f => f.File).ToList().AsReadOnly(),
                pruned.AsReadOnly(),
                deleted.AsReadOnly(),
                versions.Except(pruned).ToList().AsReadOnly(),
                key.SigningFingerprint,
                keyringPath,
                signedAt);
        }
        finally
        {
            foreach (var temporary in temporaries)
            {
                File.Delete(temporary);
            }
        }
    }

    private void CheckOptions(PublishOptions options)
    {
        if (!VersionComparer.IsValid(options.Version))
        {
            throw new UsageException($"Version \"{UntrustedText.Escape(options.Version)}\" is not valid: it must be non-empty printable ASCII without '/', at most {VersionComparer.MaxVersionLength} characters.");
        }

        if (options.Keep is < 1)
        {
            throw new UsageException($"--keep {options.Keep} keeps nothing; it must be at least 1.");
        }

        // Sha256Manifest refuses the list once the marker's day has begun (00:00 UTC), so today is already too late.
        var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        if (options.BestBefore is { } day && day <= today)
        {
            throw new UsageException($"--best-before {day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} is not after today ({today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} UTC); devices would refuse the list at once.");
        }

        if (!Directory.Exists(options.PayloadsDirectory))
        {
            throw new PublishException($"The payload directory {UntrustedText.Escape(options.PayloadsDirectory)} does not exist.");
        }

        if (!Directory.Exists(options.OutputDirectory))
        {
            throw new PublishException($"The output directory {UntrustedText.Escape(options.OutputDirectory)} does not exist; create it first.");
        }

        if (Path.GetDirectoryName(options.KeyringPath) is not { } keyringDirectory || !Directory.Exists(keyringDirectory))
        {
            throw new PublishException($"The directory of the keyring to export, {UntrustedText.Escape(options.KeyringPath)}, does not exist.");
        }
    }

    private List<TransferDefinition> LoadTransfers(PublishOptions options)
    {
        var set = DefinitionLoader.Load(new DefinitionLoadOptions
        {
            DefinitionsDirectory = options.DefinitionsDirectory,
            Logger = _logger,
            WarningsAreErrors = true,
        });

        var transfers = new List<TransferDefinition>();
        foreach (var transfer in set.Transfers)
        {
            if (PublishableSources.Contains(transfer.Source.Type))
            {
                transfers.Add(transfer);
            }
            else
            {
                _logger.LogWarning("Skipping transfer {Transfer}: a {Type} source is not a file a server can offer.", transfer.Id, transfer.Source.Type);
            }
        }

        if (transfers.Count == 0)
        {
            throw new PublishException($"No transfer in {UntrustedText.Escape(options.DefinitionsDirectory)} has a url-file, url-tar, regular-file or tar source, so there is nothing to publish.");
        }

        return transfers;
    }

    private static List<(TransferDefinition Transfer, string Name)> NamePayloads(List<TransferDefinition> transfers, PublishOptions options)
    {
        var names = new List<(TransferDefinition, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var transfer in transfers)
        {
            var name = PublishedName.For(transfer, options.Version, options.PayloadsDirectory);
            if (name is ManifestName or SignatureName || name.StartsWith(TemporaryPrefix, StringComparison.Ordinal)
                || Path.Combine(options.OutputDirectory, name) == options.KeyringPath)
            {
                throw new PublishException($"Transfer {UntrustedText.Escape(transfer.Id)}: its file name {UntrustedText.Escape(name)} is one publish needs for itself.");
            }

            // Two transfers may install the same source file (into different targets): it is served once.
            if (!seen.Add(name))
            {
                continue;
            }

            var source = Path.Combine(options.PayloadsDirectory, name);
            if (FileMetadata.TryGetStatus(source) is not { Kind: FileKind.Regular })
            {
                throw new PublishException($"Transfer {UntrustedText.Escape(transfer.Id)}: payload {UntrustedText.Escape(source)} is missing or not a regular file (its source pattern '{UntrustedText.Escape(transfer.Source.Patterns.First.Text)}' for version {UntrustedText.Escape(options.Version)}).");
            }

            names.Add((transfer, name));
        }

        return names;
    }

    private static Sha256Manifest? ReadManifest(string path)
    {
        try
        {
            return Sha256Manifest.Parse(File.ReadAllBytes(path), path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PublishException($"Cannot read {UntrustedText.Escape(path)}: {e.Message}", e);
        }
    }

    // The version an already listed file belongs to, by the first transfer whose source patterns match
    // it; P.caibx belongs to P's version, so it is replaced and pruned with P.
    private static string? VersionOf(string fileName, List<TransferDefinition> transfers)
    {
        if (fileName.EndsWith(IndexSuffix, StringComparison.Ordinal) && VersionOf(fileName[..^IndexSuffix.Length], transfers) is { } indexed)
        {
            return indexed;
        }

        foreach (var transfer in transfers)
        {
            if (transfer.Source.Patterns.Match(fileName) is { IsMatch: true, Metadata.Version: { } version })
            {
                return version;
            }
        }

        return null;
    }

    /// <summary>sha256sum's format: digest, space, ' ' (text) or '*' (binary), name, newline; the marker last.</summary>
    internal static byte[] FormatManifest(IEnumerable<(string FileName, string Sha256, bool BinaryMode)> entries, DateOnly? bestBefore)
    {
        var text = new StringBuilder();
        foreach (var (name, sha256, binary) in entries)
        {
            text.Append(sha256).Append(' ').Append(binary ? '*' : ' ').Append(name).Append('\n');
        }

        if (bestBefore is { } day)
        {
            text.Append(EmptyFileSha256).Append("  ").Append(Sha256Manifest.BestBeforePrefix)
                .Append(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    // What a device will do with the output, done once here: a bug or a bad key shows now, not in the field.
    private void SelfCheck(byte[] manifest, byte[] signature, OpenPgpSigningKey key, string manifestPath)
    {
        try
        {
            _ = Sha256Manifest.Parse(manifest, manifestPath);
            new OpenPgpSignatureVerifier(_time).VerifyDetached(manifest, signature, Keyring.Parse(key.PublicKeyring, key.Origin));
        }
        catch (Exception e) when (e is VerificationException or ManifestException)
        {
            throw new PublishException($"The signed {ManifestName} would not verify on devices: {e.Message}", e);
        }
    }

    private List<string> DeleteUnlisted(string directory, IEnumerable<string> names, HashSet<string> current)
    {
        var deleted = new List<string>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            // Manifest names are plain names (Sha256Manifest refuses '/', '.', '..'), so this stays in the directory.
            if (current.Contains(name))
            {
                continue;
            }

            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                File.Delete(path);
                deleted.Add(name);
                _logger.LogInformation("Deleted {Name}, no longer listed.", name);
            }
        }

        if (deleted.Count > 0)
        {
            Durability.FsyncDirectory(directory);
        }

        return deleted;
    }

    private static string Temporary(string directory, string name) =>
        Path.Combine(directory, $"{TemporaryPrefix}{name}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp");

    private static void WriteDurably(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Durability.FsyncFile(path);
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
