using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.InstallDatabase;
using ImageUpdate.Platform.Btrfs;
using ImageUpdate.Platform.FileSystem;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Cleanup;

/// <summary>
/// systemd-sysupdate 262's `cleanup` for one component: every record of its installation database
/// is read (<see cref="InstallRecordReader"/>; an unsound entry is expunged with a one-line notice),
/// its directory opened inside the root without following any symbolic link, and the regular files
/// and directories its pattern matches judged by <see cref="OrphanPlanner"/>: the orphans are removed
/// (a btrfs subvolume as one), and a record none of whose files is still owned goes too. Nothing
/// outside a record's directory is ever touched: entries are only ever children of it (or of real
/// directories below it), and deletion never follows a link.
/// </summary>
public sealed class OrphanCleanup(string root, IReadOnlyList<InstalledTarget> owners, IBtrfs btrfs, ILogger logger)
{
    private readonly string _root = Path.GetFullPath(root);

    public CleanupResult Run(InstallDatabaseStore database)
    {
        ArgumentNullException.ThrowIfNull(database);
        var removed = new List<string>();
        var failures = new List<string>();
        var expunged = 0;
        var entries = database.ReadEntries();
        if (entries is null)
        {
            logger.LogDebug("Not cleaning up component '{Component}', install database is empty.", database.Component ?? "n/a");
            return new CleanupResult(removed, 0, failures);
        }

        foreach (var (key, value) in entries)
        {
            var reading = InstallRecordReader.Read(key, value, database.EntryPath(key));
            bool keep;
            if (reading.Record is not { } record)
            {
                logger.LogWarning("{Problem}", reading.Problem);
                keep = false;
            }
            else
            {
                try
                {
                    keep = Process(record, removed, failures);
                }
                catch (UpdateException e)
                {
                    failures.Add(e.Message); // The caller reports it.
                    continue;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageUpdateException)
                {
                    // A directory that cannot be read keeps its record and fails the verb, after the others ran.
                    failures.Add($"Failed to clean up '{UntrustedText.Escape(record.Directory)}': {UntrustedText.Escape(e.Message)}");
                    continue;
                }
            }

            if (!keep)
            {
                database.Remove(key);
                expunged++;
            }
        }

        return new CleanupResult(removed, expunged, failures);
    }

    /// <summary>True when the record still owns something (so it stays).</summary>
    private bool Process(InstallRecord record, List<string> removed, List<string> failures)
    {
        var directory = OpenDirectory(record.Directory);
        if (directory is null)
        {
            logger.LogDebug("Install database path '{Path}' does not exist, expunging database entry.", UntrustedText.Escape(record.Directory));
            return false;
        }

        var pattern = Formats.Versions.MatchPattern.Parse(record.Pattern);
        return Walk(record.Directory, directory, relative: null, pattern, removed, failures);
    }

    private bool Walk(string recorded, string directory, string? relative, Formats.Versions.MatchPattern pattern, List<string> removed, List<string> failures)
    {
        var keep = false;
        foreach (var path in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal).ToList())
        {
            var status = FileMetadata.TryGetStatus(path);
            if (status is not { Kind: FileKind.Regular or FileKind.Directory })
            {
                continue; // Gone meanwhile, or a link, device, socket: never ours (262 reads only these two kinds).
            }

            var name = Path.GetFileName(path);
            var entry = relative is null ? name : relative + "/" + name;
            var isDirectory = status.Kind == FileKind.Directory;
            switch (OrphanPlanner.Decide(recorded, pattern, entry, isDirectory, owners))
            {
                case OrphanDecision.Descend:
                    keep |= Walk(recorded, path, entry, pattern, removed, failures);
                    break;
                case OrphanDecision.Keep:
                    logger.LogDebug("Path '{Path}' is owned by current transfer files, keeping.", UntrustedText.Escape(entry));
                    keep = true;
                    break;
                case OrphanDecision.Remove:
                    try
                    {
                        Delete(path, isDirectory);
                        removed.Add(recorded == "/" ? "/" + entry : recorded + "/" + entry);
                        logger.LogInformation("Successfully removed '{Path}' which is no longer owned by any transfer files.", UntrustedText.Escape(entry));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageUpdateException)
                    {
                        var message = $"Failed to remove '{UntrustedText.Escape(entry)}' which is no longer owned by any transfer files: {UntrustedText.Escape(e.Message)}";
                        failures.Add(message); // The caller reports it.
                        keep = true; // Still there: the record stays so a later run can try again.
                    }

                    break;
                default:
                    break;
            }
        }

        return keep;
    }

    private void Delete(string path, bool isDirectory)
    {
        if (isDirectory && btrfs.IsSubvolume(path))
        {
            btrfs.DeleteSubvolume(path);
        }
        else
        {
            RecursiveDelete.Delete(path);
        }

        Durability.FsyncParentDirectory(path);
    }

    /// <summary>
    /// The recorded directory below the root, every component a real directory (262 opens it with
    /// CHASE_PROHIBIT_SYMLINKS: the writer recorded it resolved, so a link there now is suspicious);
    /// null when it does not exist.
    /// </summary>
    private string? OpenDirectory(string recorded)
    {
        var path = _root;
        foreach (var component in recorded.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path = path == "/" ? "/" + component : path + "/" + component;
            switch (FileMetadata.TryGetStatus(path))
            {
                case null:
                    return null;
                case { Kind: FileKind.Directory }:
                    continue;
                case { Kind: FileKind.SymbolicLink }:
                    throw new UpdateException($"Failed to open resource path '{UntrustedText.Escape(recorded)}': '{UntrustedText.Escape(path)}' is a symbolic link, refusing.");
                default:
                    throw new UpdateException($"Failed to open resource path '{UntrustedText.Escape(recorded)}': '{UntrustedText.Escape(path)}' is not a directory.");
            }
        }

        return path;
    }
}
