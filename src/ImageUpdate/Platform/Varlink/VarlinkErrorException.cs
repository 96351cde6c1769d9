using System.Text.Json;

namespace ImageUpdate.Platform.Varlink;

/// <summary>
/// A Varlink error reply: thrown by a method handler to answer with ERROR (and its parameters),
/// or raised by <see cref="VarlinkConnection.CallAsync"/> when the peer answered with one.
/// </summary>
public sealed class VarlinkErrorException : VarlinkException
{
    public VarlinkErrorException(string error, Action<Utf8JsonWriter>? writeParameters = null)
        : base($"Varlink error {Foundation.Errors.UntrustedText.Escape(error)}.")
    {
        Error = error;
        WriteParameters = writeParameters;
    }

    /// <summary>The fully qualified error name, e.g. org.varlink.service.InvalidParameter.</summary>
    public string Error { get; }

    /// <summary>Writes the members of the error's parameters object (null: none, so the reply has no "parameters").</summary>
    public Action<Utf8JsonWriter>? WriteParameters { get; }

    /// <summary>org.varlink.service.InvalidParameter naming <paramref name="parameter"/>.</summary>
    public static VarlinkErrorException InvalidParameter(string parameter) =>
        new(VarlinkService.InvalidParameter, w => w.WriteString("parameter", parameter));
}
