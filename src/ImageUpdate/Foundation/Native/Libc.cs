using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// The few libc calls .NET does not expose (fsync of a directory, syncfs, flock, renameat2, ...).
/// One partial file per syscall family, each call imported once: Libc.Files.cs (open, openat,
/// getdents64, link, rename, chmod, ...), Libc.Stat.cs (statx, statfs), Libc.Ioctl.cs (ioctl; the BTRFS
/// interface's numbers in Libc.Btrfs.cs), Libc.Lock.cs (flock), Libc.Sync.cs (fsync, syncfs, sync,
/// posix_fadvise), Libc.Loop.cs (LOOP_GET_STATUS64), Libc.Sockets.cs (sendmsg, recvmsg, close),
/// Libc.Reboot.cs. The nested classes (Gpt, Staging,
/// Partitions, Btrfs, FileSystemType, Loop) are the views their callers read constants and wrappers
/// through, spread over the family files. Every call reports errno through
/// <see cref="Marshal.GetLastPInvokeError"/> and is wrapped by a helper that throws IOException,
/// except hints whose failure changes nothing (posix_fadvise, whose refusal is ignored).
/// </summary>
internal static partial class Libc
{
    internal const string Library = "libc";

    internal static IOException Error(string what, string path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{what} '{Errors.UntrustedText.Escape(path)}': {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }
}
