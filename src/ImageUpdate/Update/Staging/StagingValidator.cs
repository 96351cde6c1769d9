using System.Runtime.InteropServices;
using System.Text;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Btrfs;
using Microsoft.Win32.SafeHandles;
using Fd = ImageUpdate.Foundation.Native.Libc.Staging;

namespace ImageUpdate.Update.Staging;

/// <summary>
/// Validates a staged update directory (normally a read-only snapshot) as an allowlist, without
/// following anything: the directory is opened O_NOFOLLOW|O_DIRECTORY and read with getdents64
/// through that fd; names starting with '.' are the downloader's temporaries and are recorded, never
/// opened; every other entry must have a <see cref="StagingName"/> name and be a regular file with
/// one link (lstat, then openat(O_NOFOLLOW|O_NONBLOCK) and fstat, see <see cref="EntryInspector"/>),
/// within <see cref="StagingLimits"/>. Any violation refuses the whole directory.
/// This is Spectrum's updates-dir-check (peers.md A1) without its reliance on d_type and with the
/// hard-link check and quotas it lacks, and Qubes' unpacker rules (A2) without a path lookup per file.
/// </summary>
public static class StagingValidator
{
    private const int DirectoryBufferBytes = 32 << 10;

    /// <summary>
    /// Validates <paramref name="directory"/>; on success the returned object keeps the directory fd,
    /// through which the files are opened later. Throws <see cref="StagingValidationException"/>.
    /// </summary>
    public static ValidatedStaging Validate(string directory, StagingLimits? limits = null)
    {
        limits ??= StagingLimits.Default;
        var handle = OpenDirectory(directory);
        try
        {
            var errno = Fd.TryStat(handle, out var directoryStat);
            if (errno != 0)
            {
                throw new StagingValidationException(directory, null, $"it cannot be examined ({Marshal.GetPInvokeErrorMessage(errno)})");
            }

            var files = new List<ValidatedStaging.Entry>();
            var ignored = new List<string>();
            var entries = 0;
            long total = 0;
            var buffer = new byte[DirectoryBufferBytes];
            int length;
            while ((length = Fd.ReadEntries(handle, buffer)) != 0)
            {
                if (length < 0)
                {
                    throw new StagingValidationException(directory, null, $"it cannot be read ({Marshal.GetPInvokeErrorMessage(-length)})");
                }

                for (var offset = 0; offset < length;)
                {
                    var name = NextName(buffer.AsSpan(offset, length - offset), out var recordLength, directory);
                    offset += recordLength;
                    if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                    {
                        continue;
                    }

                    if (++entries > limits.MaxEntries)
                    {
                        throw new StagingValidationException(directory, null, $"it holds more than {limits.MaxEntries} entries");
                    }

                    if (name[0] == (byte)'.')
                    {
                        ignored.Add(UntrustedText.Escape(name));
                        continue;
                    }

                    var entry = Check(handle, directoryStat, name, directory, limits, total);
                    total += entry.File.Size;
                    files.Add(entry);
                }
            }

            files.Sort((a, b) => string.CompareOrdinal(a.File.Name, b.File.Name));
            ignored.Sort(StringComparer.Ordinal);
            var readOnlySnapshot = KernelBtrfs.IsReadOnlySubvolumeRoot(handle, directory);
            return new ValidatedStaging(directory, handle, directoryStat, files, ignored, readOnlySnapshot);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static ValidatedStaging.Entry Check(SafeFileHandle directory, in Fd.Stat directoryStat, ReadOnlySpan<byte> name, string directoryPath, StagingLimits limits, long total)
    {
        var problem = StagingName.Check(name);
        if (problem is not null)
        {
            throw EntryInspector.Refuse(directoryPath, name, problem);
        }

        // Sizes are checked from lstat, before the file is opened: a sparse giant is refused unread.
        var inspected = EntryInspector.Inspect(directory, directoryStat, name, directoryPath);
        var size = checked((long)inspected.Size);
        if (size > limits.MaxTotalBytes - total)
        {
            throw EntryInspector.Refuse(directoryPath, name, $"is {size} bytes, which takes the staged update past its bound of {limits.MaxTotalBytes} bytes");
        }

        using var handle = EntryInspector.Open(directory, directoryStat, name, inspected, directoryPath, out var opened);
        return new ValidatedStaging.Entry(new StagedFile(Encoding.ASCII.GetString(name), size), FileIdentity.From(opened));
    }

    private static SafeFileHandle OpenDirectory(string directory)
    {
        var errno = Fd.TryOpen(directory, Fd.OpenReadOnly | Fd.OpenDirectory | Fd.OpenNoFollow, out var handle);
        if (errno == 0)
        {
            return handle;
        }

        handle.Dispose();

        // O_NOFOLLOW|O_DIRECTORY on a symlink fails with ENOTDIR (ELOOP on older kernels).
        var isLink = Foundation.Native.Libc.TryStatNoFollow(directory, out var stat) == 0 && (stat.Mode & Foundation.Native.Libc.FileTypeMask) == Foundation.Native.Libc.TypeSymlink;
        var problem = isLink || errno == Fd.ErrnoLoop
            ? "it is a symbolic link"
            : $"it cannot be opened as a directory ({Marshal.GetPInvokeErrorMessage(errno)})";
        throw new StagingValidationException(directory, null, problem);
    }

    /// <summary>The name of the linux_dirent64 record at the start of <paramref name="records"/>, checked against the buffer's bounds.</summary>
    private static ReadOnlySpan<byte> NextName(ReadOnlySpan<byte> records, out int recordLength, string directory)
    {
        const int Layout = Fd.DirectoryEntry.Name;
        recordLength = records.Length > Layout ? MemoryMarshal.Read<ushort>(records[Fd.DirectoryEntry.RecordLength..]) : 0;
        if (recordLength <= Layout || recordLength > records.Length)
        {
            throw new StagingValidationException(directory, null, "it returned a malformed directory record");
        }

        var field = records[Layout..recordLength];
        var end = field.IndexOf((byte)0);
        if (end <= 0)
        {
            throw new StagingValidationException(directory, null, "it returned a malformed directory record");
        }

        return field[..end];
    }
}
