using System.Runtime.InteropServices;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.Btrfs;

/// <summary>A BTRFS operation failed or a path is not what it must be (not on BTRFS, not a subvolume); the message names the path.</summary>
public sealed class BtrfsException : ImageUpdateException
{
    public BtrfsException(string path, string message, int errno = 0) : base(message)
    {
        Path = path;
        Errno = errno;
    }

    /// <summary>The path the operation was about (unescaped).</summary>
    public string Path { get; }

    /// <summary>The errno the kernel returned, or 0 when image-update itself refused.</summary>
    public int Errno { get; }

    /// <summary>"Cannot {what} '{path}': {strerror}." with an optional hint after it.</summary>
    internal static BtrfsException FromErrno(string what, string path, int errno, string? hint = null)
    {
        var reason = Marshal.GetPInvokeErrorMessage(errno);
        var tail = hint is null ? "." : $" ({hint}).";
        return new BtrfsException(path, $"Cannot {what} '{UntrustedText.Escape(path)}': {reason}{tail}", errno);
    }
}
