using System.Security.Cryptography;
using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// Points a symlink somewhere else without a moment where it is missing: a new link is made beside it
/// under a temporary name and renamed over the old one (sysupdate's CurrentSymlink= is updated so).
/// </summary>
public static class AtomicSymlink
{
    /// <summary>Makes <paramref name="linkPath"/> a symlink to <paramref name="target"/> (stored as given, not resolved), replacing a file or symlink there; the directory is fsynced.</summary>
    public static void Replace(string linkPath, string target)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(linkPath));
        var directory = Path.GetDirectoryName(full) ?? throw new ArgumentException("A symlink cannot replace the root directory.", nameof(linkPath));
        var temporary = Path.Combine(directory, $".#{Path.GetFileName(full)}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");

        File.CreateSymbolicLink(temporary, target);
        var errno = Libc.Rename(temporary, full, 0);
        if (errno != 0)
        {
            Libc.Unlink(temporary);
            throw Libc.Error(errno, $"Cannot rename '{Foundation.Errors.UntrustedText.Escape(temporary)}' to", full);
        }

        Durability.FsyncDirectory(directory);
    }
}
