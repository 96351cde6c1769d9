using System.Security.Cryptography;
using System.Text;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.FileSystem;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Delta;

/// <summary>
/// Chunk indexes (P.caibx) this host has downloaded and checked against a signed manifest, kept so
/// that the next update need not download the installed version's index again to map its slot.
/// An entry is named after the SHA-256 of its bytes and the version it belongs to
/// (<c>SHA256.HEXVERSION.caibx</c>), and is read only for a manifest entry with that very SHA-256; its
/// bytes are hashed again before they are parsed, so a changed, torn or truncated file is ignored (and
/// removed) and the index is downloaded as before. Every chunk a rebuild takes from a seed is hashed
/// at use whatever said where it is, so even an index that passed could only cost downloads. Writes go
/// to a temporary name renamed into place, without fsync: a crash can only leave a file that fails its
/// hash. The cache is best effort: a directory that cannot be read or written costs the download, never
/// the update.
/// </summary>
public sealed class IndexCache
{
    /// <summary>The cache's directory below image-update's state directory.</summary>
    public const string DirectoryName = "index-cache";

    /// <summary>Entries kept at most, whatever the versions (each at most <see cref="DeltaInstaller.MaxIndexBytes"/>).</summary>
    public const int MaxEntries = 16;

    private const string Suffix = ".caibx";
    private const string TemporaryPrefix = ".#";

    /// <summary>A hex-encoded version must leave a file name under 255 bytes: 64 + 1 + 2·n + 6 + 1.</summary>
    private const int MaxVersionBytes = 90;

    private readonly ILogger _logger;

    public IndexCache(string directory, ILogger logger)
    {
        Directory = directory;
        _logger = logger;
    }

    /// <summary>Where the entries are (created on the first write).</summary>
    public string Directory { get; }

    /// <summary>
    /// The bytes of the cached index whose SHA-256 is <paramref name="sha256"/>, checked again now;
    /// null when there is none or it is not what its name says (it is then removed).
    /// </summary>
    public byte[]? TryRead(string sha256, string what)
    {
        var key = sha256.ToLowerInvariant();
        try
        {
            foreach (var path in Entries().Where(e => e.Sha256 == key).Select(e => e.Path).ToList())
            {
                if (FileMetadata.TryGetStatus(path) is not { Kind: FileKind.Regular } status || status.Size > DeltaInstaller.MaxIndexBytes)
                {
                    continue;
                }

                var bytes = File.ReadAllBytes(path);
                var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
                if (actual == key)
                {
                    _logger.LogDebug("Using the cached {Index} ({Bytes} bytes) from {Path}.", what, bytes.Length, path);
                    return bytes;
                }

                _logger.LogInformation(
                    "Ignoring the cached index {Path}: its SHA-256 is {Actual}, not {Expected}; downloading {Index}.",
                    path, actual, key, what);
                TryDelete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug("Cannot read the index cache {Directory}: {Error}", Directory, UntrustedText.Escape(e.Message));
        }

        return null;
    }

    /// <summary>
    /// Keeps <paramref name="bytes"/> (already checked to have SHA-256 <paramref name="sha256"/>) as the
    /// index of <paramref name="version"/>, then removes the entries of versions not in
    /// <paramref name="keep"/> (the version stored is always kept).
    /// </summary>
    public void Store(string sha256, string version, ReadOnlySpan<byte> bytes, IEnumerable<string> keep)
    {
        var key = sha256.ToLowerInvariant();
        var versionBytes = Encoding.UTF8.GetBytes(version);
        if (versionBytes.Length > MaxVersionBytes || bytes.Length > DeltaInstaller.MaxIndexBytes)
        {
            return;
        }

        var name = $"{key}.{Convert.ToHexStringLower(versionBytes)}{Suffix}";
        var path = Path.Join(Directory, name);
        try
        {
            if (FileMetadata.TryGetStatus(path) is not { Kind: FileKind.Regular } status || status.Size != bytes.Length)
            {
                System.IO.Directory.CreateDirectory(Directory);
                var temporary = Path.Join(Directory, TemporaryPrefix + name);
                using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    file.Write(bytes);
                }

                File.Move(temporary, path, overwrite: true);
                _logger.LogDebug("Cached the index of version {Version} as {Path}.", UntrustedText.Escape(version), path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug("Cannot write the index cache {Directory}: {Error}", Directory, UntrustedText.Escape(e.Message));
            return;
        }

        Prune(keep.Append(version), path);
    }

    /// <summary>
    /// Removes every entry whose version is not in <paramref name="keep"/>, any temporary file a crash
    /// left, and the oldest entries beyond <see cref="MaxEntries"/> (never <paramref name="newest"/>, the one just written).
    /// </summary>
    public void Prune(IEnumerable<string> keep, string? newest = null)
    {
        var kept = keep.ToHashSet(StringComparer.Ordinal);
        try
        {
            if (FileMetadata.TryGetStatus(Directory) is not { Kind: FileKind.Directory })
            {
                return;
            }

            foreach (var leftover in System.IO.Directory.GetFiles(Directory, TemporaryPrefix + "*"))
            {
                TryDelete(leftover);
            }

            var survivors = new List<string>();
            foreach (var entry in Entries().ToList())
            {
                if (entry.Version is { } version && kept.Contains(version))
                {
                    survivors.Add(entry.Path);
                }
                else
                {
                    _logger.LogDebug("Removing the cached index {Path}: its version is not installed.", entry.Path);
                    TryDelete(entry.Path);
                }
            }

            foreach (var old in survivors.Where(p => p != newest).OrderByDescending(File.GetLastWriteTimeUtc).Skip(MaxEntries - (newest is null ? 0 : 1)))
            {
                TryDelete(old);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug("Cannot prune the index cache {Directory}: {Error}", Directory, UntrustedText.Escape(e.Message));
        }
    }

    /// <summary>The entries by name: SHA-256, version (null when the name does not decode) and path.</summary>
    private IEnumerable<(string Sha256, string? Version, string Path)> Entries()
    {
        if (FileMetadata.TryGetStatus(Directory) is not { Kind: FileKind.Directory })
        {
            yield break;
        }

        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + Suffix))
        {
            var name = Path.GetFileName(path);
            if (name.StartsWith(TemporaryPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var parts = name[..^Suffix.Length].Split('.');
            if (parts.Length != 2 || parts[0].Length != 64)
            {
                yield return (string.Empty, null, path);
                continue;
            }

            string? version;
            try
            {
                version = parts[1].Length % 2 == 0 && parts[1].All(char.IsAsciiHexDigitLower)
                    ? new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromHexString(parts[1]))
                    : null;
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                version = null;
            }

            yield return (parts[0], version, path);
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug("Cannot remove {Path} from the index cache: {Error}", path, UntrustedText.Escape(e.Message));
        }
    }
}
