using System.Runtime.InteropServices;
using ImageUpdate.Foundation.Errors;
using Microsoft.Win32.SafeHandles;
using Fd = ImageUpdate.Foundation.Native.Libc.Staging;
using Libc = ImageUpdate.Foundation.Native.Libc;

namespace ImageUpdate.Update.Staging;

/// <summary>
/// The two steps every staged entry goes through, at validation and again when it is opened for use:
/// an lstat through the directory fd (so a device, FIFO or socket is refused without ever being
/// opened), then openat(O_NOFOLLOW|O_NONBLOCK|O_NOCTTY) and fstat of what was actually opened, which
/// must be the same regular, single-link inode. d_type is never consulted.
/// </summary>
internal static class EntryInspector
{
    private static int OpenFlags => Fd.OpenReadOnly | Fd.OpenNoFollow | Fd.OpenNonBlocking | Fd.OpenNoControllingTty;

    /// <summary>lstat of <paramref name="name"/>: it must be a regular file with one link on the directory's device.</summary>
    internal static Fd.Stat Inspect(SafeFileHandle directory, in Fd.Stat directoryStat, ReadOnlySpan<byte> name, string directoryPath)
    {
        var errno = Fd.TryStatAt(directory, name, out var stat);
        if (errno != 0)
        {
            throw Refuse(directoryPath, name, $"cannot be examined ({Marshal.GetPInvokeErrorMessage(errno)})");
        }

        RequireSingleLinkRegularFile(stat, directoryStat, name, directoryPath);
        return stat;
    }

    /// <summary>Opens <paramref name="name"/> and checks that the fd is the inode <paramref name="inspected"/> described.</summary>
    internal static SafeFileHandle Open(SafeFileHandle directory, in Fd.Stat directoryStat, ReadOnlySpan<byte> name, in Fd.Stat inspected, string directoryPath, out Fd.Stat opened)
    {
        var errno = Fd.TryOpenAt(directory, name, OpenFlags, out var handle);
        try
        {
            switch (errno)
            {
                case 0:
                    break;
                case Fd.ErrnoLoop:
                    throw Refuse(directoryPath, name, "is a symbolic link");
                case Fd.ErrnoNoDeviceOrAddress:
                    throw Refuse(directoryPath, name, "is a socket or a device");
                default:
                    throw Refuse(directoryPath, name, $"cannot be opened ({Marshal.GetPInvokeErrorMessage(errno)})");
            }

            errno = Fd.TryStat(handle, out opened);
            if (errno != 0)
            {
                throw Refuse(directoryPath, name, $"cannot be examined ({Marshal.GetPInvokeErrorMessage(errno)})");
            }

            RequireSingleLinkRegularFile(opened, directoryStat, name, directoryPath);
            if (!FileIdentity.From(inspected).IsSameInode(opened) || opened.Size != inspected.Size)
            {
                throw Refuse(directoryPath, name, "changed while it was being validated");
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    internal static StagingValidationException Refuse(string directoryPath, ReadOnlySpan<byte> name, string problem) =>
        new(directoryPath, UntrustedText.Escape(name), problem);

    private static void RequireSingleLinkRegularFile(in Fd.Stat stat, in Fd.Stat directoryStat, ReadOnlySpan<byte> name, string directoryPath)
    {
        var kind = (uint)stat.Mode & Libc.FileTypeMask;
        if (kind != Libc.TypeRegular)
        {
            throw Refuse(directoryPath, name, kind switch
            {
                Libc.TypeSymlink => "is a symbolic link",
                Libc.TypeDirectory => "is a subdirectory",
                Libc.TypeFifo => "is a FIFO",
                Libc.TypeSocket => "is a socket",
                Libc.TypeCharacterDevice => "is a character device",
                Libc.TypeBlockDevice => "is a block device",
                _ => $"is not a regular file (mode {Convert.ToString(stat.Mode, 8)})",
            });
        }

        // Another name for the inode may sit outside the staging directory, where the writer can still change it.
        if (stat.NumberOfLinks != 1)
        {
            throw Refuse(directoryPath, name, $"is a hard link ({stat.NumberOfLinks} names share its inode)");
        }

        // A file bind-mounted over the entry reports the device of the file system it came from.
        if (stat.DeviceMajor != directoryStat.DeviceMajor || stat.DeviceMinor != directoryStat.DeviceMinor)
        {
            throw Refuse(directoryPath, name, "is a mount point");
        }
    }
}
