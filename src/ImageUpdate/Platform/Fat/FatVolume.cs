using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Platform.Processes;

namespace ImageUpdate.Platform.Fat;

/// <summary>
/// A FAT file system inside a disk image file (the ESP or XBOOTLDR partition of an image), read and
/// changed in place through GNU mtools (`mdir`, `mcopy`, `mren`, `mdel`, `mmd`, `mrd` with
/// `-i IMAGE@@OFFSET`). It replaces mounting the partition (vfat is not in these machines' kernels,
/// and an image tool should not need mounts) and a FAT library (DiscUtils is not served by the
/// registry here); both could stand in for it behind this class. Paths are absolute inside the file
/// system ("/EFI/Linux/x.efi"). Every change is followed by an fsync of the image, so once a call
/// returns what it did is on disk. SOURCE_DATE_EPOCH, when set, is what mtools stamps new entries with.
/// </summary>
public sealed class FatVolume
{
    private readonly IProcessRunner _runner;
    private readonly DateTimeOffset? _timestamp;

    /// <param name="timestamp">
    /// The time new entries get (for reproducible images); null: now, or SOURCE_DATE_EPOCH when the
    /// environment has it, which mtools reads itself.
    /// </param>
    public FatVolume(string imagePath, long offset, string description, IProcessRunner? runner = null, DateTimeOffset? timestamp = null)
    {
        if (imagePath.Contains("@@", StringComparison.Ordinal))
        {
            // mtools splits its -i argument at "@@" into the file and the offset.
            throw new UpdateException($"Cannot use the disk image '{UntrustedText.Escape(imagePath)}': its path contains '@@', which mtools reads as an offset.");
        }

        ImagePath = imagePath;
        Offset = offset;
        Description = description;
        _runner = runner ?? new ProcessRunner();
        _timestamp = timestamp;
    }

    public string ImagePath { get; }

    /// <summary>
    /// The FAT file system of the first partition of <paramref name="partitionType"/> in a disk image
    /// (its GPT read with the project's own code); null when the image has no such partition.
    /// </summary>
    public static FatVolume? InImage(string imagePath, Guid partitionType, IProcessRunner? runner = null, DateTimeOffset? timestamp = null)
    {
        var table = Formats.Gpt.GptDisk.ReadTable(imagePath);
        foreach (var (index, entry) in table.Partitions)
        {
            if (entry.Type == partitionType)
            {
                var name = Formats.Gpt.PartitionType.NameOf(partitionType)?.ToUpperInvariant() ?? partitionType.ToString();
                return new FatVolume(imagePath, checked((long)entry.StartingLba * table.SectorSize), $"the {name} (partition {index + 1}) of '{UntrustedText.Escape(imagePath)}'", runner, timestamp);
            }
        }

        return null;
    }

    /// <summary>Where the file system starts in the image, in bytes.</summary>
    public long Offset { get; }

    /// <summary>How messages name it: "the ESP of disk.raw".</summary>
    public string Description { get; }

    /// <summary>
    /// Every entry under <paramref name="directory"/>, at any depth, as paths relative to it
    /// (directories end in '/'); an empty list when the directory does not exist.
    /// </summary>
    public async Task<IReadOnlyList<FatEntry>> ListAsync(string directory, CancellationToken cancellationToken)
    {
        var dir = Absolute(directory);
        var result = await RunAsync("mdir", ["-/", "-b", Spec(dir)], cancellationToken, allowMissing: true).ConfigureAwait(false);
        if (result is null)
        {
            return [];
        }

        var prefix = "::" + (dir == "/" ? "/" : dir + "/");
        var entries = new List<FatEntry>();
        foreach (var line in result.StandardOutput.Split('\n'))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal) || line.Length == prefix.Length)
            {
                continue;
            }

            var relative = line[prefix.Length..];
            var isDirectory = relative.EndsWith('/');
            entries.Add(new FatEntry(isDirectory ? relative[..^1] : relative, isDirectory));
        }

        return entries;
    }

    /// <summary>
    /// The bytes still free in the file system, as `mdir` counts them from the FAT (the footer of a
    /// listing: "66 058 752 bytes free", mtools' own digit grouping); null when it shows no count.
    /// </summary>
    public async Task<long?> FreeBytesAsync(CancellationToken cancellationToken)
    {
        var result = await RunAsync("mdir", [Spec("/")], cancellationToken).ConfigureAwait(false);
        foreach (var line in result!.StandardOutput.Split('\n'))
        {
            var trimmed = line.Trim();
            const string Suffix = " bytes free";
            if (trimmed.EndsWith(Suffix, StringComparison.Ordinal)
                && long.TryParse(trimmed[..^Suffix.Length].Replace(" ", string.Empty, StringComparison.Ordinal), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var free))
            {
                return free;
            }
        }

        return null;
    }

    /// <summary>
    /// The bytes of the file at <paramref name="path"/>, or of every file under the directory there, as
    /// `mdir` totals them (the last "N files  B bytes" line of the listing); null when there is no such
    /// entry or no total.
    /// </summary>
    public async Task<long?> SizeOfAsync(string path, bool isDirectory, CancellationToken cancellationToken)
    {
        var result = await RunAsync("mdir", [.. isDirectory ? new[] { "-/" } : [], Spec(Absolute(path))], cancellationToken, allowMissing: true).ConfigureAwait(false);
        long? total = null;
        foreach (var line in result?.StandardOutput.Split('\n') ?? [])
        {
            var words = line.Trim().Split(' ', 3);
            const string Suffix = " bytes";
            if (words.Length == 3 && words[1] is "file" or "files" && words[2].TrimStart() is var rest && rest.EndsWith(Suffix, StringComparison.Ordinal)
                && long.TryParse(rest[..^Suffix.Length].Replace(" ", string.Empty, StringComparison.Ordinal), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes))
            {
                total = bytes;
            }
        }

        return total;
    }

    /// <summary>Makes <paramref name="directory"/> and its missing parents.</summary>
    public async Task CreateDirectoriesAsync(string directory, CancellationToken cancellationToken)
    {
        var dir = Absolute(directory);
        if (dir == "/")
        {
            return;
        }

        var parent = ParentOf(dir);
        var name = dir[(parent.Length == 1 ? 1 : parent.Length + 1)..];
        if ((await ListAsync(parent, cancellationToken).ConfigureAwait(false)).Any(e => e.IsDirectory && string.Equals(e.RelativePath, name, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        await CreateDirectoriesAsync(parent, cancellationToken).ConfigureAwait(false);
        await RunAsync("mmd", [Spec(dir)], cancellationToken).ConfigureAwait(false);
        Flush();
    }

    /// <summary>
    /// Copies a host file into the file system under <paramref name="path"/>, replacing what is there.
    /// With <paramref name="keepModificationTime"/> the entry gets the host file's time, otherwise the
    /// current time (or SOURCE_DATE_EPOCH); a volume made with a fixed timestamp always uses that.
    /// </summary>
    public async Task CopyInAsync(string hostFile, string path, bool keepModificationTime, CancellationToken cancellationToken)
    {
        // A volume with a fixed time (a reproducible image) stamps every entry with it, whatever the
        // host file's time: the same bytes must give the same image.
        var keep = keepModificationTime && _timestamp is null;
        await RunAsync("mcopy", [.. keep ? new[] { "-m" } : [], "-o", "-D", "o", hostFile, Spec(Absolute(path))], cancellationToken).ConfigureAwait(false);
        Flush();
    }

    /// <summary>Copies a file out of the file system into a new host file; false when there is no such file.</summary>
    public async Task<bool> CopyOutAsync(string path, string hostFile, CancellationToken cancellationToken) =>
        await RunAsync("mcopy", ["-n", Spec(Absolute(path)), hostFile], cancellationToken, allowMissing: true).ConfigureAwait(false) is not null;

    /// <summary>Renames an entry within its directory, replacing an existing entry of the new name.</summary>
    public async Task RenameAsync(string from, string to, CancellationToken cancellationToken)
    {
        await RunAsync("mren", ["-D", "o", Spec(Absolute(from)), Spec(Absolute(to))], cancellationToken).ConfigureAwait(false);
        Flush();
    }

    /// <summary>Deletes a file, or a directory with everything in it.</summary>
    public async Task DeleteAsync(string path, bool isDirectory, CancellationToken cancellationToken)
    {
        await RunAsync(isDirectory ? "mdeltree" : "mdel", [Spec(Absolute(path))], cancellationToken, allowMissing: true).ConfigureAwait(false);
        Flush();
    }

    /// <summary>Removes <paramref name="directory"/> if it is empty.</summary>
    public async Task RemoveDirectoryIfEmptyAsync(string directory, CancellationToken cancellationToken)
    {
        if ((await ListAsync(directory, cancellationToken).ConfigureAwait(false)).Count == 0)
        {
            await RunAsync("mrd", [Spec(Absolute(directory))], cancellationToken, allowMissing: true).ConfigureAwait(false);
            Flush();
        }
    }

    /// <summary>A name mtools would read as something else: a wildcard or a DOS path separator.</summary>
    public static bool IsPlainName(string name) =>
        name.Length > 0 && !name.Any(c => c is '*' or '?' or '[' or ']' or '\\' or ':' or '"' or '<' or '>' or '|' || char.IsControl(c));

    private static string Absolute(string path)
    {
        if (!path.StartsWith('/'))
        {
            throw new ArgumentException($"A FAT path must be absolute, not '{path}'.", nameof(path));
        }

        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    private static string ParentOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    private static string Spec(string path) => "::" + path;

    private void Flush() => Durability.FsyncFile(ImagePath);

    private async Task<ProcessResult?> RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool allowMissing = false)
    {
        var environment = new Dictionary<string, string?>
        {
            // No configuration file may change how names or the drive are read, and the image is not
            // a floppy: skip mtools' boot sector sanity check. FAT stores local time: make it UTC, so
            // the same inputs give the same bytes wherever the image is built.
            ["MTOOLSRC"] = "/dev/null",
            ["MTOOLS_SKIP_CHECK"] = "1",
            ["TZ"] = "UTC",
        };
        if (_timestamp is { } time)
        {
            // mtools (4.0.32 and later) stamps new files and directories with SOURCE_DATE_EPOCH.
            environment["SOURCE_DATE_EPOCH"] = time.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var request = new ProcessRequest(tool, ["-i", $"{ImagePath}@@{Offset}", .. arguments])
        {
            CheckExitCode = false,
            Environment = environment,
        };
        ProcessResult result;
        try
        {
            result = await _runner.RunAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ExternalToolException e)
        {
            throw new UpdateException($"Cannot change {Description}: {e.Message}", e);
        }

        if (result.ExitCode == 0)
        {
            return result;
        }

        if (allowMissing && result.StandardError.Contains("not found", StringComparison.Ordinal))
        {
            return null;
        }

        var detail = result.StandardError.Trim().Split('\n').LastOrDefault(l => l.Length > 0) ?? $"exit status {result.ExitCode}";
        throw new UpdateException($"{request.CommandLine} failed on {Description}: {UntrustedText.Escape(detail)}");
    }
}
