using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Processes;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Systemd.Health;

/// <summary>
/// The executables in the health.d directories, as systemd merges drop-in directories: all names
/// together in file-name order, and a name in an earlier directory masks the same name in a later
/// one (/etc over /usr/lib). A masking file that is not executable (a symlink to /dev/null, an empty
/// file) disables the check; hidden files and directories are skipped.
/// </summary>
public static class HealthCheckDirectories
{
    /// <summary>The administrator's checks first, then the vendor's.</summary>
    public static IReadOnlyList<string> Default { get; } = ["/etc/image-update/health.d", "/usr/lib/image-update/health.d"];

    public static IReadOnlyList<ExecutableHealthCheck> Discover(IReadOnlyList<string> directories, TimeSpan timeout, IProcessRunner runner, ILogger logger)
    {
        var chosen = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var directory in directories)
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var path in Directory.EnumerateFileSystemEntries(directory))
            {
                var name = Path.GetFileName(path);
                if (name.StartsWith('.') || chosen.ContainsKey(name))
                {
                    if (chosen.TryGetValue(name, out var winner))
                    {
                        logger.LogDebug("Health check '{Path}' is masked by '{Winner}'.", UntrustedText.Escape(path), UntrustedText.Escape(winner));
                    }

                    continue;
                }

                chosen[name] = path;
            }
        }

        var checks = new List<ExecutableHealthCheck>();
        foreach (var path in chosen.Values)
        {
            if (IsExecutableFile(path, out var why))
            {
                checks.Add(new ExecutableHealthCheck(path, timeout, runner, logger));
            }
            else
            {
                logger.LogInformation("Ignoring '{Path}': {Why}.", UntrustedText.Escape(path), why);
            }
        }

        return checks;
    }

    private static bool IsExecutableFile(string path, out string why)
    {
        FileSystemInfo info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || !target.Exists)
            {
                why = "a dangling symbolic link";
                return false;
            }

            if (target.FullName == "/dev/null")
            {
                why = "masked (a link to /dev/null)";
                return false;
            }

            info = target;
        }

        if (info is not FileInfo { Exists: true })
        {
            why = "not a regular file";
            return false;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if ((info.UnixFileMode & anyExecute) == 0)
        {
            why = "not executable";
            return false;
        }

        why = string.Empty;
        return true;
    }
}
