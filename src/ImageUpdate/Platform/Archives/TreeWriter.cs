using System.Buffers;
using ImageUpdate.Foundation.Native;
using ImageUpdate.Platform.FileSystem;

namespace ImageUpdate.Platform.Archives;

/// <summary>
/// Creates entries below one destination directory from names that are not trusted (tar member
/// names, or relative paths of a copied tree) so that nothing is ever written outside it:
/// absolute names and ".." are refused, every parent directory is checked with lstat to be a real
/// directory (a symlink made by an earlier entry is never walked through), and an existing entry
/// is unlinked rather than opened, so a symlink is never written through either. New files are
/// created with O_EXCL. Directory modes and times are applied at the end, deepest first, so that a
/// read-only directory can still be filled and its time is not disturbed by its contents.
/// </summary>
internal sealed class TreeWriter : IDisposable
{
    internal const int CopyBufferSize = 1 << 20;

    private readonly string _root;
    private readonly bool _applyOwnership = Environment.IsPrivilegedProcess;

    // Relative paths already known to be real directories. A directory is never replaced by
    // anything else (see PrepareTarget), so an entry stays valid once it is here.
    private readonly HashSet<string> _verifiedDirectories = new(StringComparer.Ordinal) { "" };
    private readonly Dictionary<string, EntryMetadata> _deferredDirectories = new(StringComparer.Ordinal);
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);

    internal TreeWriter(string destinationDirectory)
    {
        Directory.CreateDirectory(destinationDirectory);
        _root = Path.GetFullPath(destinationDirectory);
    }

    /// <summary>
    /// Splits a member name into its components, refusing absolute names, "..", NUL and empty names;
    /// "." components and repeated slashes are dropped, so "./" and "." name the destination itself.
    /// </summary>
    internal static string[] SplitName(string name)
    {
        if (name.Length == 0)
        {
            throw ArchiveException.ForEntry(name, "the name is empty");
        }

        if (name[0] == '/')
        {
            throw ArchiveException.ForEntry(name, "the name is absolute");
        }

        if (name.Contains('\0'))
        {
            throw ArchiveException.ForEntry(name, "the name contains a NUL byte");
        }

        var components = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(c => c != ".").ToArray();
        if (components.Contains(".."))
        {
            throw ArchiveException.ForEntry(name, "the name contains '..'");
        }

        return components;
    }

    internal void CreateDirectory(string name, EntryMetadata metadata)
    {
        var components = SplitName(name);
        var relative = string.Join('/', components);
        if (components.Length > 0)
        {
            var path = PrepareTarget(name, components, directory: true);
            if (path is not null)
            {
                Directory.CreateDirectory(path);
                FileMetadata.SetMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            _verifiedDirectories.Add(relative);
        }

        _deferredDirectories[relative] = metadata;
    }

    internal async Task WriteFileAsync(string name, Stream? data, long length, EntryMetadata metadata, CancellationToken cancellationToken)
    {
        var path = PrepareTarget(name, RequireNonRoot(name), directory: false)!;
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(TreeWriter));
        long written = 0;

        // O_EXCL never follows or reuses whatever is at the name; 0600 until the entry's own mode is
        // applied, so content never sits readable by others meanwhile.
        var handle = Libc.Open(path, Libc.OWriteOnly | Libc.OCreate | Libc.OExclusive | Libc.ONoFollow, mode: 0x180);
        await using (var output = new FileStream(handle, FileAccess.Write, bufferSize: 0))
        {
            if (data is not null)
            {
                int read;
                while ((read = await data.ReadAsync(buffer.AsMemory(0, CopyBufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    written += read;
                }
            }
        }

        if (written != length)
        {
            throw ArchiveException.ForEntry(name, $"it announces {length} bytes but holds {written}");
        }

        Apply(path, metadata, setMode: true);
    }

    internal void CreateSymbolicLink(string name, string target, EntryMetadata metadata)
    {
        if (target.Length == 0 || target.Contains('\0'))
        {
            throw ArchiveException.ForEntry(name, "the symlink target is empty or contains a NUL byte");
        }

        // Stored as given, like tar does: the link is never followed while unpacking, and where it
        // points is the image's business once it is booted or mounted.
        var path = PrepareTarget(name, RequireNonRoot(name), directory: false)!;
        File.CreateSymbolicLink(path, target);
        Apply(path, metadata, setMode: false);
    }

    internal void CreateHardLink(string name, string targetName)
    {
        var targetComponents = SplitName(targetName);
        if (targetComponents.Length == 0)
        {
            throw ArchiveException.ForEntry(name, "a hard link cannot point at the destination directory");
        }

        var targetPath = ResolveExisting(name, targetComponents);
        var target = FileMetadata.TryGetStatus(targetPath);
        if (target is null || target.Kind == FileKind.Directory)
        {
            throw ArchiveException.ForEntry(name, $"the hard link target '{Foundation.Errors.UntrustedText.Escape(targetName)}' is not a file extracted before it");
        }

        var components = RequireNonRoot(name);
        if (string.Join('/', components) == string.Join('/', targetComponents))
        {
            throw ArchiveException.ForEntry(name, "the hard link points at itself");
        }

        var path = PrepareTarget(name, components, directory: false)!;
        Libc.Link(targetPath, path);
    }

    internal void CreateFifo(string name, EntryMetadata metadata)
    {
        var path = PrepareTarget(name, RequireNonRoot(name), directory: false)!;
        Libc.MakeFifo(path, 0x180 /* 0600 until Apply */);
        Apply(path, metadata, setMode: true);
    }

    /// <summary>Applies the deferred directory metadata, deepest first, the destination itself last.</summary>
    internal void Finish()
    {
        foreach (var (relative, metadata) in _deferredDirectories.OrderByDescending(d => d.Key.Count(c => c == '/') + (d.Key.Length == 0 ? 0 : 1)))
        {
            Apply(relative.Length == 0 ? _root : Path.Combine(_root, relative), metadata, setMode: true);
        }

        _deferredDirectories.Clear();
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    private static string[] RequireNonRoot(string name)
    {
        var components = SplitName(name);
        return components.Length > 0 ? components : throw ArchiveException.ForEntry(name, "only a directory may name the destination itself");
    }

    /// <summary>
    /// Makes sure every parent of the entry is a real directory (creating missing ones) and clears the
    /// way for the entry itself. Returns the full path, or null when a directory entry finds a
    /// directory already there.
    /// </summary>
    private string? PrepareTarget(string name, string[] components, bool directory)
    {
        var parent = EnsureParents(name, components);
        var path = Path.Combine(parent, components[^1]);
        var existing = FileMetadata.TryGetStatus(path);
        if (existing is null)
        {
            return path;
        }

        if (existing.Kind == FileKind.Directory)
        {
            // GNU tar replaces a directory only when it is empty and never for a directory entry;
            // refusing keeps the verified-directory cache sound.
            return directory ? null : throw ArchiveException.ForEntry(name, "a directory of that name exists");
        }

        if (Libc.Unlink(path) != 0)
        {
            throw Libc.Error("Cannot remove", path);
        }

        return path;
    }

    private string EnsureParents(string name, string[] components)
    {
        var relative = "";
        for (var i = 0; i < components.Length - 1; i++)
        {
            relative = i == 0 ? components[0] : relative + "/" + components[i];
            if (_verifiedDirectories.Contains(relative))
            {
                continue;
            }

            var path = Path.Combine(_root, relative);
            var status = FileMetadata.TryGetStatus(path);
            if (status is null)
            {
                Directory.CreateDirectory(path);
            }
            else if (status.Kind != FileKind.Directory)
            {
                throw ArchiveException.ForEntry(name, $"'{Foundation.Errors.UntrustedText.Escape(relative)}' on its path is a {Describe(status.Kind)}, not a directory");
            }

            _verifiedDirectories.Add(relative);
        }

        return components.Length == 1 ? _root : Path.Combine(_root, relative);
    }

    /// <summary>The full path of an existing entry, checking that none of its parents is a symlink.</summary>
    private string ResolveExisting(string name, string[] components)
    {
        var relative = "";
        for (var i = 0; i < components.Length - 1; i++)
        {
            relative = i == 0 ? components[0] : relative + "/" + components[i];
            if (!_verifiedDirectories.Contains(relative) && FileMetadata.TryGetStatus(Path.Combine(_root, relative))?.Kind != FileKind.Directory)
            {
                throw ArchiveException.ForEntry(name, $"the hard link target goes through '{Foundation.Errors.UntrustedText.Escape(relative)}', which is not a directory");
            }
        }

        return Path.Combine(_root, string.Join('/', components));
    }

    private void Apply(string path, EntryMetadata metadata, bool setMode)
    {
        // chown first: it clears setuid/setgid, which the mode then sets again.
        if (_applyOwnership)
        {
            FileMetadata.SetOwner(path, metadata.Uid, metadata.Gid);
        }

        if (setMode)
        {
            FileMetadata.SetMode(path, metadata.Mode);
        }

        FileMetadata.SetModificationTime(path, metadata.ModificationTimeMicroseconds);
    }

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.SymbolicLink => "symlink",
        FileKind.Regular => "regular file",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
