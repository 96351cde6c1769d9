using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.InstallDatabase;
using ImageUpdate.Update.Cleanup;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Engine;

public sealed partial class UpdateEngine
{
    /// <summary>
    /// `cleanup` (systemd-sysupdate 262): removes the files the selected component's installation
    /// database records that no enabled transfer owns any more. Needs no transfer at all (with none,
    /// every recorded file is an orphan). Refused with --cleanup=no (contradictory) and with --image
    /// (image-update keeps no database inside an image: it writes only the image's boot partitions).
    /// </summary>
    public CleanupResult Cleanup()
    {
        if (_options.Cleanup == false)
        {
            throw new UsageException("Invocation of 'cleanup' with --cleanup=no is contradictory, refusing.");
        }

        if (_options.Image is not null)
        {
            throw new UsageException("The --image= switch is not supported with 'cleanup': image-update keeps no install database inside an image.");
        }

        using var guard = TakeLock();
        var context = Resolve(requireEnabled: false, requireAny: false);
        return CleanupOrThrow(context);
    }

    /// <summary>The components that have an installation database below the root (for `cleanup` of all components).</summary>
    public IReadOnlyList<string> InstallDatabaseComponents() => InstallDatabaseStore.ListComponents(_options.Root);

    /// <summary>Runs the cleanup of the selected component; failures end the verb with the first one (the others logged), after everything else was done.</summary>
    private CleanupResult CleanupOrThrow(LoadedContext context)
    {
        var result = new OrphanCleanup(_options.Root, Owners(context), _services.Btrfs, _logger)
            .Run(new InstallDatabaseStore(_options.Root, _options.Component));
        foreach (var failure in result.Failures.Skip(1))
        {
            _logger.LogError("{Failure}", failure);
        }

        return result.Failures.Count > 0 ? throw new UpdateException(result.Failures[0]) : result;
    }

    /// <summary>The enabled transfers' file-system targets, their directories as records hold them.</summary>
    private List<InstalledTarget> Owners(LoadedContext context) =>
        context.Enabled
            .Where(t => IsRecorded(t))
            .Select(t => new InstalledTarget(InsideRoot(t.TargetPath), t.Definition.Target.Patterns))
            .ToList();

    /// <summary>
    /// After a file-system transfer's final rename: one record per target pattern (262 records at
    /// install, not at acquire). A failure is a warning, never a failed update, as in 262.
    /// </summary>
    private void RecordInstall(TransferRuntime transfer)
    {
        if (!IsRecorded(transfer))
        {
            return;
        }

        var store = new InstallDatabaseStore(_options.Root, _options.Component);
        var directory = InsideRoot(transfer.TargetPath);
        foreach (var pattern in transfer.Definition.Target.Patterns.Patterns)
        {
            try
            {
                store.Add(new InstallRecord(directory, pattern.Text));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageUpdateException)
            {
                _logger.LogWarning(
                    "Failed to add '{Pattern}' in '{Path}' entry to install database: {Error}",
                    UntrustedText.Escape(pattern.Text), UntrustedText.Escape(transfer.TargetPath), UntrustedText.Escape(e.Message));
            }
        }
    }

    /// <summary>Regular-file, directory and subvolume targets on the host tree (not an image's FAT partitions).</summary>
    private bool IsRecorded(TransferRuntime transfer) =>
        _options.Image is null &&
        transfer.Definition.Target.Type is ResourceType.RegularFile or ResourceType.Directory or ResourceType.Subvolume &&
        transfer.TargetPath.StartsWith('/');

    /// <summary>A resolved path as seen from inside the root (the form records hold, so --root= compares alike).</summary>
    private string InsideRoot(string path)
    {
        if (!_options.IsRooted)
        {
            return path;
        }

        var root = _options.Root.TrimEnd('/');
        return path == root ? "/" : path.StartsWith(root + "/", StringComparison.Ordinal) ? path[root.Length..] : path;
    }
}
