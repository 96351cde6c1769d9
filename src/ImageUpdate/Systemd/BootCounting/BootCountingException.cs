using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// The boot entry cannot be found, read or marked: an EFI variable is malformed, the entry named by the
/// boot loader is missing, or marking it bad would leave nothing to boot. The message names the file.
/// </summary>
public sealed class BootCountingException : ImageUpdateException
{
    public BootCountingException(string message) : base(message) { }

    public BootCountingException(string message, Exception inner) : base(message, inner) { }
}
