using System.Diagnostics.CodeAnalysis;
using System.Text;
using ImageUpdate.Platform.FileSystem;
using Microsoft.Win32.SafeHandles;
using Fd = ImageUpdate.Foundation.Native.Libc.Staging;

namespace ImageUpdate.Update.Staging;

/// <summary>
/// A staged update that passed <see cref="StagingValidator"/>: the regular files it holds and the
/// directory fd they were validated through. Files are opened later through that fd only, with
/// openat(O_NOFOLLOW) and an fstat that must show the very inode, size and timestamps validated, so a
/// rename over a name or a rewrite in place after validation is refused rather than read.
/// </summary>
public sealed class ValidatedStaging : IDisposable
{
    private readonly SafeFileHandle _directory;
    private readonly Fd.Stat _directoryStat;
    private readonly Dictionary<string, Entry> _entries;

    internal ValidatedStaging(string path, SafeFileHandle directory, Fd.Stat directoryStat, IReadOnlyList<Entry> entries, IReadOnlyList<string> ignored, bool isReadOnlySnapshot)
    {
        Path = path;
        _directory = directory;
        _directoryStat = directoryStat;
        _entries = entries.ToDictionary(e => e.File.Name, StringComparer.Ordinal);
        Files = [.. entries.Select(e => e.File)];
        IgnoredEntries = ignored;
        TotalBytes = entries.Sum(e => e.File.Size);
        IsReadOnlySnapshot = isReadOnlySnapshot;
    }

    /// <summary>The directory as it was named to <see cref="StagingValidator.Validate"/>.</summary>
    public string Path { get; }

    /// <summary>Every validated file, in ordinal name order.</summary>
    public IReadOnlyList<StagedFile> Files { get; }

    /// <summary>The dot-prefixed names that were skipped unopened, escaped, in ordinal order.</summary>
    public IReadOnlyList<string> IgnoredEntries { get; }

    public long TotalBytes { get; }

    /// <summary>
    /// True when the directory fd the validation read is the root of a read-only BTRFS subvolume, so
    /// nothing can change under it; asked of the fd, not the path, so no rename can swap it afterwards.
    /// </summary>
    public bool IsReadOnlySnapshot { get; }

    public bool Contains(string name) => _entries.ContainsKey(name);

    public bool TryGetFile(string name, [NotNullWhen(true)] out StagedFile? file)
    {
        file = _entries.TryGetValue(name, out var entry) ? entry.File : null;
        return file is not null;
    }

    /// <summary>
    /// Opens a validated file for reading through the kept directory fd, refusing it unless it is still
    /// the inode that was validated (same device, inode, size, change and modification times, one link).
    /// </summary>
    /// <remarks>
    /// Read around the page cache (<see cref="DirectReadStream"/>): the snapshot's files are new
    /// inodes, never cached, each read once.
    /// </remarks>
    public Stream OpenRead(string name) => new DirectReadStream(OpenChecked(name, out _));

    /// <summary>
    /// <see cref="OpenRead"/> for a file read at offsets (a chunk pack: its table, then the chunks a
    /// rebuild asks for), through the page cache.
    /// </summary>
    public FileStream OpenSeekable(string name) => new(OpenChecked(name, out _), FileAccess.Read, bufferSize: 0);

    /// <summary>
    /// Reads a whole small validated file (SHA256SUMS, SHA256SUMS.gpg/.asc) into memory; refuses one
    /// over <paramref name="maxBytes"/> before opening it, and one whose length changed under the read.
    /// </summary>
    public byte[] ReadSmallFile(string name, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        var entry = Find(name);
        if (entry.File.Size > maxBytes)
        {
            throw Refuse(name, $"is {entry.File.Size} bytes, more than the {maxBytes} bytes allowed for it");
        }

        using var stream = new FileStream(OpenChecked(name, out _), FileAccess.Read, bufferSize: 0);
        var contents = new byte[entry.File.Size];
        try
        {
            stream.ReadExactly(contents);
        }
        catch (EndOfStreamException)
        {
            throw Refuse(name, "changed after it was validated");
        }

        if (stream.Read(new byte[1]) != 0)
        {
            throw Refuse(name, "changed after it was validated");
        }

        return contents;
    }

    public void Dispose() => _directory.Dispose();

    private SafeFileHandle OpenChecked(string name, out Fd.Stat opened)
    {
        ObjectDisposedException.ThrowIf(_directory.IsClosed, this);
        var entry = Find(name);
        var raw = Encoding.ASCII.GetBytes(name);
        var inspected = EntryInspector.Inspect(_directory, _directoryStat, raw, Path);
        if (FileIdentity.From(inspected) != entry.Identity)
        {
            throw Refuse(name, "changed after it was validated");
        }

        var handle = EntryInspector.Open(_directory, _directoryStat, raw, inspected, Path, out opened);
        if (FileIdentity.From(opened) != entry.Identity)
        {
            handle.Dispose();
            throw Refuse(name, "changed after it was validated");
        }

        return handle;
    }

    private Entry Find(string name) =>
        _entries.TryGetValue(name, out var entry) ? entry : throw Refuse(name, "is not one of the files that were validated");

    private StagingValidationException Refuse(string name, string problem) =>
        new(Path, Foundation.Errors.UntrustedText.Escape(name), problem);

    /// <summary>One validated file and the identity its later opens must match.</summary>
    internal sealed record Entry(StagedFile File, FileIdentity Identity);
}
