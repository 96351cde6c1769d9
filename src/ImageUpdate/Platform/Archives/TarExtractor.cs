using System.Formats.Tar;
using ImageUpdate.Platform.FileSystem;

namespace ImageUpdate.Platform.Archives;

/// <summary>
/// Unpacks a tar stream (already decompressed) into a directory, the way systemd-importd's tar import
/// does (numeric owners, modes including setuid/setgid/sticky, modification times), with two rules of
/// its own for an updater that unpacks downloaded data as root:
/// <list type="bullet">
/// <item>no entry may land outside the destination: absolute names, "..", and paths through a symlink
/// (made by an earlier entry or found on disk) are refused, checked component by component with lstat;</item>
/// <item>character and block device nodes are refused. systemd-importd keeps them when running as
/// root, but a device node in an update payload hands raw access to a disk or memory to whatever can
/// open it, and an OS image has no need to ship one (udev and devtmpfs make them at boot).</item>
/// </list>
/// FIFOs are recreated (they grant nothing). Owners are applied only when running as root.
/// </summary>
public static class TarExtractor
{
    /// <summary>Unpacks every entry of <paramref name="tar"/> below <paramref name="destinationDirectory"/> (created if missing).</summary>
    public static async Task ExtractAsync(Stream tar, string destinationDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tar);
        using var writer = new TreeWriter(destinationDirectory);
        var reader = new TarReader(tar, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            while (await NextEntryAsync(reader, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await ExtractEntryAsync(writer, entry, cancellationToken).ConfigureAwait(false);
            }
        }

        // Whatever follows the end-of-archive blocks (usually zero padding to a record) is read so a
        // decompressor underneath still sees its end and reports truncation or trailing garbage.
        await tar.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        writer.Finish();
    }

    private static async Task<TarEntry?> NextEntryAsync(TarReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new ArchiveException($"The tar archive is malformed or truncated: {e.Message.TrimEnd('.')}.", e);
        }
    }

    private static async Task ExtractEntryAsync(TreeWriter writer, TarEntry entry, CancellationToken cancellationToken)
    {
        var name = entry.Name;
        if (entry is PaxTarEntry pax && pax.ExtendedAttributes.Keys.Any(k => k.StartsWith("GNU.sparse.", StringComparison.Ordinal)))
        {
            throw ArchiveException.ForEntry(name, "GNU sparse files are not supported");
        }

        var metadata = new EntryMetadata(
            entry.Mode,
            (uint)entry.Uid,
            (uint)entry.Gid,
            FileMetadata.ToMicroseconds(entry.ModificationTime));
        switch (entry.EntryType)
        {
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                try
                {
                    await writer.WriteFileAsync(name, entry.DataStream, entry.Length, metadata, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
                {
                    throw new ArchiveException($"The tar archive is truncated inside entry '{Foundation.Errors.UntrustedText.Escape(name)}'.", e);
                }

                break;
            case TarEntryType.Directory:
                writer.CreateDirectory(name, metadata);
                break;
            case TarEntryType.SymbolicLink:
                writer.CreateSymbolicLink(name, entry.LinkName, metadata);
                break;
            case TarEntryType.HardLink:
                writer.CreateHardLink(name, entry.LinkName);
                break;
            case TarEntryType.Fifo:
                writer.CreateFifo(name, metadata);
                break;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice:
                throw ArchiveException.ForEntry(name, "device nodes are not unpacked from update payloads");
            case TarEntryType.GlobalExtendedAttributes:
                break;
            default:
                throw ArchiveException.ForEntry(name, $"entries of type {entry.EntryType} are not supported");
        }
    }
}
