using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.DBus;

/// <summary>
/// An ERROR reply (D-Bus Specification §Message Types: "Errors"): the error name such as
/// org.freedesktop.DBus.Error.AccessDenied and the optional first string argument as the message.
/// Exported method handlers throw it to send that error back to their caller (<see cref="ExportedObject"/>).
/// Ours beside Tmds.DBus.Protocol's DBusErrorReplyException because it is an <see cref="ImageUpdateException"/>
/// with the message our callers and tests quote.
/// </summary>
public sealed class DBusErrorException : DBusException
{
    public DBusErrorException(string errorName, string? errorMessage)
        : base($"D-Bus error {UntrustedText.Escape(errorName)}: {UntrustedText.Escape(errorMessage ?? "(no message)")}")
    {
        ErrorName = errorName;
        ErrorMessage = errorMessage;
    }

    /// <summary>The error name, e.g. org.freedesktop.DBus.Error.UnknownMethod.</summary>
    public string ErrorName { get; }

    /// <summary>The human-readable text the peer sent, or null when the body had no leading string.</summary>
    public string? ErrorMessage { get; }
}
