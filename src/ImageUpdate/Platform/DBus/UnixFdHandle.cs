using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// A unix fd received with a message (type code 'h', SCM_RIGHTS). The handle owns the fd: keep it
/// as long as the fd must stay open (a logind inhibitor lasts until it is closed), dispose it to
/// close. Handles in messages nobody looks at are closed by their finalizer.
/// </summary>
public sealed class UnixFdHandle : SafeHandle
{
    public UnixFdHandle(int fd, bool ownsHandle = true) : base(new IntPtr(-1), ownsHandle)
    {
        SetHandle(fd);
    }

    /// <summary>fd 0 is a valid fd here (a daemon without stdin may be handed one), so only negatives are invalid.</summary>
    public override bool IsInvalid => (long)handle < 0;

    /// <summary>The fd number, for passing to child processes or other native calls.</summary>
    public int Fd => (int)handle;

    /// <summary>Wraps the fd in a stream (for a pipe or a file the peer handed over); the stream takes ownership.</summary>
    public FileStream ToStream(FileAccess access)
    {
        var fileHandle = new SafeFileHandle(handle, ownsHandle: true);
        SetHandleAsInvalid();
        return new FileStream(fileHandle, access, bufferSize: 0);
    }

    protected override bool ReleaseHandle() => Foundation.Native.Libc.CloseFd((int)handle) == 0;
}
