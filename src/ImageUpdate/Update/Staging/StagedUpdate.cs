using ImageUpdate.Formats.Verification;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Platform.Btrfs;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Staging;

/// <summary>How a staged update ended.</summary>
public enum StagedOutcome
{
    /// <summary>The staging directory was missing or empty: it is now a subvolume, waiting for a download.</summary>
    NothingStaged,

    /// <summary>The staged version (or a newer one) is already installed.</summary>
    UpToDate,

    Installed,
}

public sealed record StagedResult(StagedOutcome Outcome, string? Version);

/// <summary>
/// `image-update STAGING_DIR`: the host side of the split-trust flow (Spectrum's spectrum-update,
/// Qubes' dom0 updates). Under the global lock: the staging directory must be a BTRFS subvolume;
/// a read-only snapshot of it is taken in a private place and checked to be read-only; the snapshot
/// is validated entry by entry without following anything; the manifest's signature is verified
/// with the host's keyring before the manifest is parsed (verification cannot be turned off here);
/// then the host's own transfers install from the snapshot, each file opened through the validated
/// directory handle, only if the signed manifest lists it, and hashed while written. The snapshot
/// is always deleted, and a crashed run's stale snapshots are deleted first.
/// </summary>
public sealed class StagedUpdate
{
    public const string SnapshotDirectoryName = ".image-update-snapshots";
    private const int MaxManifestBytes = 16 << 20;
    private const int MaxSignatureBytes = 64 << 10;

    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly IUpdateObserver? _observer;
    private readonly IBtrfs _btrfs;
    private readonly EngineServices _services;
    private readonly StagingLimits _limits;

    /// <summary>
    /// --fetch-with: a program run with the staging path after it is ready (it starts the downloader and
    /// waits for it); when a complete version is installed, followed by <c>--have VERSION</c> (not
    /// secret), which it may pass on to `image-update fetch` to stage only the chunks that version lacks.
    /// </summary>
    public string? FetchWith { get; init; }

    /// <summary>How long <see cref="FetchWith"/> may take.</summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromHours(6);

    /// <param name="services">The engine's effects; its <see cref="EngineServices.Btrfs"/> also freezes the staging subvolume.</param>
    public StagedUpdate(EngineOptions options, ILogger logger, IUpdateObserver? observer = null, EngineServices? services = null, StagingLimits? limits = null)
    {
        _options = options;
        _logger = logger;
        _observer = observer;
        _services = services ?? EngineServices.Default;
        _btrfs = _services.Btrfs;
        _limits = limits ?? StagingLimits.Default;
    }

    public async Task<StagedResult> RunAsync(string stagingDirectory, CancellationToken cancellationToken)
    {
        var staging = Path.GetFullPath(stagingDirectory);
        using var guard = UpdateLock.Take(_options);

        var fresh = PrepareStagingDirectory(staging);
        if (FetchWith is { } program)
        {
            // The whole Spectrum flow in one invocation: let the (untrusted) downloader fill the
            // subvolume, then freeze and check what it left, exactly as if it had run before.
            _logger.LogInformation("Running '{Program}' to fill '{Staging}'…", program, staging);
            string[] arguments = await InstalledVersionAsync(cancellationToken).ConfigureAwait(false) is { } have ? [staging, "--have", have] : [staging];
            await new Platform.Processes.ProcessRunner().RunAsync(new Platform.Processes.ProcessRequest(program, arguments) { Timeout = FetchTimeout }, cancellationToken).ConfigureAwait(false);
        }
        else if (fresh)
        {
            _logger.LogInformation("'{Staging}' is now an empty BTRFS subvolume: nothing is staged yet; let the downloader fill it, then run again.", staging);
            return new StagedResult(StagedOutcome.NothingStaged, null);
        }

        var snapshots = Path.Combine(Path.GetDirectoryName(staging)!, SnapshotDirectoryName);
        RemoveStaleSnapshots(snapshots);
        Directory.CreateDirectory(snapshots, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var snapshot = Path.Combine(snapshots, $"{Path.GetFileName(staging)}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        _btrfs.SnapshotReadOnly(staging, snapshot);
        Foundation.Diagnostics.CrashPoint.Hit("after-snapshot");
        try
        {
            using var validated = StagingValidator.Validate(snapshot, _limits);
            if (!validated.IsReadOnlySnapshot)
            {
                throw new StagingValidationException(snapshot, null, "the snapshot is not read-only");
            }

            if (validated.Files.Count == 0)
            {
                _logger.LogInformation("Nothing is staged in '{Staging}' yet.", staging);
                return new StagedResult(StagedOutcome.NothingStaged, null);
            }

            var manifest = VerifiedManifest(validated, staging);
            using var chunks = new StagedChunks(validated, UpdateEngine.IndexCacheFor(_options, _logger), _logger);
            using var engine = new UpdateEngine(_options, _logger, _observer, transfer => SourceFor(transfer, manifest, validated, chunks), _services);
            var result = await engine.UpdateAsync(version: null, UpdateActions.All, cancellationToken).ConfigureAwait(false);
            return result.Outcome == UpdateOutcome.Installed
                ? new StagedResult(StagedOutcome.Installed, result.Version)
                : new StagedResult(StagedOutcome.UpToDate, result.Version);
        }
        finally
        {
            _btrfs.DeleteSubvolume(snapshot);
        }
    }

    /// <summary>The newest version installed in every transfer's target (complete, not partial), which the downloader may build a delta against.</summary>
    private async Task<string?> InstalledVersionAsync(CancellationToken cancellationToken)
    {
        var nothing = Sha256Manifest.Parse([], "(installed versions only)");
        using var engine = new UpdateEngine(_options, _logger, null, transfer => new ManifestSource(
            transfer.Source,
            _ => Task.FromResult(nothing),
            (_, _) => throw new InvalidOperationException("Only the installed versions are listed here."),
            name => name), _services);
        ListResult listed;
        try
        {
            listed = await engine.ListAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ImageUpdateException e)
        {
            // Only a hint for the downloader: whatever stops the listing stops the update itself later, in its own words.
            _logger.LogDebug("No installed version to pass to the downloader: {Problem}", e.Message);
            return null;
        }

        return listed.Plan.Sets.FirstOrDefault(s => s.Has(Model.Planning.UpdateSetFlags.Installed) && !s.Has(Model.Planning.UpdateSetFlags.Incomplete) && !s.Has(Model.Planning.UpdateSetFlags.Partial))?.Version;
    }

    /// <summary>True when the directory had to be (re)made: nothing can be staged in it yet.</summary>
    private bool PrepareStagingDirectory(string staging)
    {
        var status = Platform.FileSystem.FileMetadata.TryGetStatus(staging);
        if (status is { Kind: Platform.FileSystem.FileKind.SymbolicLink })
        {
            throw new UpdateException($"The staging directory '{UntrustedText.Escape(staging)}' is a symbolic link; give the subvolume's real path.");
        }

        if (status is null)
        {
            _btrfs.CreateSubvolume(staging);
            return true;
        }

        if (status.Kind != Platform.FileSystem.FileKind.Directory)
        {
            throw new UpdateException($"The staging directory '{UntrustedText.Escape(staging)}' is not a directory.");
        }

        if (!_btrfs.IsOnBtrfs(staging))
        {
            throw new UpdateException($"The staging directory '{UntrustedText.Escape(staging)}' is not on a BTRFS file system; put it on one (the update is frozen with a read-only snapshot).");
        }

        if (_btrfs.IsSubvolume(staging))
        {
            return false;
        }

        if (Directory.EnumerateFileSystemEntries(staging).Any())
        {
            throw new UpdateException($"The staging directory '{UntrustedText.Escape(staging)}' is a plain directory with files in it, not a BTRFS subvolume; move its contents away or remove it, and run again to have it made a subvolume.");
        }

        Directory.Delete(staging);
        _btrfs.CreateSubvolume(staging);
        return true;
    }

    private void RemoveStaleSnapshots(string snapshots)
    {
        if (!Directory.Exists(snapshots))
        {
            return;
        }

        foreach (var stale in Directory.EnumerateDirectories(snapshots))
        {
            _logger.LogInformation("Removing the stale snapshot '{Snapshot}' of an interrupted run.", stale);
            _btrfs.DeleteSubvolume(stale);
        }
    }

    private Sha256Manifest VerifiedManifest(ValidatedStaging validated, string staging)
    {
        if (!validated.Contains("SHA256SUMS"))
        {
            throw new VerificationException($"The staged update in '{UntrustedText.Escape(staging)}' has no SHA256SUMS (the downloader writes it last): the download is incomplete.");
        }

        var signatureName = validated.Contains("SHA256SUMS.gpg") ? "SHA256SUMS.gpg"
            : validated.Contains("SHA256SUMS.asc") ? "SHA256SUMS.asc"
            : throw new VerificationException($"The staged update in '{UntrustedText.Escape(staging)}' has no signature (SHA256SUMS.gpg or SHA256SUMS.asc); a staged update is always verified.");

        var manifestBytes = validated.ReadSmallFile("SHA256SUMS", MaxManifestBytes);
        var signature = validated.ReadSmallFile(signatureName, MaxSignatureBytes);
        var verified = new OpenPgpSignatureVerifier(_services.Clock).VerifyDetached(manifestBytes, signature, HostFacts.LoadKeyring(_options, _logger));
        _logger.LogInformation("The staged SHA256SUMS is signed by {Fingerprint}.", verified.SigningKeyFingerprint);

        var manifest = Sha256Manifest.Parse(manifestBytes, Path.Combine(staging, "SHA256SUMS"));
        manifest.CheckFreshness(_services.Clock.GetUtcNow(), _options.Environment.VerifyFreshness);
        return manifest;
    }

    /// <summary>
    /// Every transfer reads from the snapshot: files for file sources, tarballs for tar sources; a file
    /// staged as its index and a pack of chunks (`fetch --have`) is rebuilt from the pack and the
    /// host's installed instances (<see cref="StagedChunks"/>).
    /// </summary>
    private static ManifestSource SourceFor(TransferDefinition transfer, Sha256Manifest manifest, ValidatedStaging validated, StagedChunks chunks)
    {
        if (transfer.Source.Type is ResourceType.Directory or ResourceType.Subvolume)
        {
            throw new UpdateException($"{transfer.FilePath}: a {Transfers.ResourceTypes.ToName(transfer.Source.Type)} source cannot be staged (only files and tarballs can be listed in SHA256SUMS).");
        }

        return new ManifestSource(
            transfer.Source,
            _ => Task.FromResult(manifest),
            (name, _) => validated.Contains(name)
                ? Task.FromResult<Stream>(validated.OpenRead(name))
                : throw new VerificationException($"'{UntrustedText.Escape(name)}' is listed in the signed SHA256SUMS but was not staged."),
            name => Path.Combine(validated.Path, name),
            chunks.Installer(transfer),
            name => validated.Contains(name) ? LocalPayloadSize.Of(Path.Combine(validated.Path, name)) : null);
    }
}
