using ImageUpdate.Foundation.Native;
using ImageUpdate.Platform.FileSystem;

namespace ImageUpdate.Platform.Archives;

/// <summary>
/// Copies a directory tree for `directory` sources the way `cp -a` would for what an OS tree holds:
/// regular files (streamed, hard links kept as hard links), directories, symlinks as symlinks, FIFOs,
/// all twelve mode bits, modification times, and numeric owners when running as root. No symlink is
/// ever followed, in the source or in the destination. Device nodes and sockets are refused, as in
/// <see cref="TarExtractor"/>.
/// </summary>
public static class TreeCopy
{
    /// <summary>Copies the contents of <paramref name="sourceDirectory"/> into <paramref name="destinationDirectory"/> (created if missing), and the source directory's own mode and time onto it.</summary>
    public static async Task CopyAsync(string sourceDirectory, string destinationDirectory, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(sourceDirectory);
        var rootStatus = FileMetadata.GetStatus(root);
        if (rootStatus.Kind != FileKind.Directory)
        {
            throw new ArchiveException($"The copy source '{Foundation.Errors.UntrustedText.Escape(sourceDirectory)}' is not a directory.");
        }

        using var writer = new TreeWriter(destinationDirectory);
        var copiedInodes = new Dictionary<(ulong Device, ulong Inode), string>();
        writer.CreateDirectory(".", MetadataOf(rootStatus));
        await CopyChildrenAsync(writer, root, "", copiedInodes, cancellationToken).ConfigureAwait(false);
        writer.Finish();
    }

    private static async Task CopyChildrenAsync(TreeWriter writer, string directory, string relativeDirectory, Dictionary<(ulong Device, ulong Inode), string> copiedInodes, CancellationToken cancellationToken)
    {
        var children = Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        foreach (var childName in children)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.Combine(directory, childName!);
            var relative = relativeDirectory.Length == 0 ? childName! : relativeDirectory + "/" + childName;
            var status = FileMetadata.TryGetStatus(path);
            if (status is null)
            {
                continue;
            }

            var metadata = MetadataOf(status);
            switch (status.Kind)
            {
                case FileKind.Directory:
                    writer.CreateDirectory(relative, metadata);
                    await CopyChildrenAsync(writer, path, relative, copiedInodes, cancellationToken).ConfigureAwait(false);
                    break;
                case FileKind.Regular when status.LinkCount > 1 && copiedInodes.TryGetValue((status.Device, status.Inode), out var first):
                    writer.CreateHardLink(relative, first);
                    break;
                case FileKind.Regular:
                    await CopyFileAsync(writer, path, relative, status, metadata, cancellationToken).ConfigureAwait(false);
                    if (status.LinkCount > 1)
                    {
                        copiedInodes[(status.Device, status.Inode)] = relative;
                    }

                    break;
                case FileKind.SymbolicLink:
                    writer.CreateSymbolicLink(relative, new FileInfo(path).LinkTarget ?? "", metadata);
                    break;
                case FileKind.Fifo:
                    writer.CreateFifo(relative, metadata);
                    break;
                default:
                    throw ArchiveException.ForEntry(relative, $"a {status.Kind} cannot be copied from a directory source");
            }
        }
    }

    private static async Task CopyFileAsync(TreeWriter writer, string path, string relative, FileStatus status, EntryMetadata metadata, CancellationToken cancellationToken)
    {
        // O_NOFOLLOW: if the entry was swapped for a symlink since it was looked at, fail rather than copy its target.
        using var handle = Libc.Open(path, Libc.OReadOnly | Libc.ONoFollow | Libc.ONoControllingTerminal | Libc.ONonBlocking);
        await using var input = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        await writer.WriteFileAsync(relative, input, status.Size, metadata, cancellationToken).ConfigureAwait(false);
    }

    private static EntryMetadata MetadataOf(FileStatus status) => new(status.Mode, status.Uid, status.Gid, status.ModificationTimeMicroseconds);
}
