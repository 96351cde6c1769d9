using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.Varlink;

/// <summary>
/// A Varlink failure of the transport or the framing: a message over <see cref="VarlinkLimits.MaxMessageBytes"/>,
/// bytes that are not a JSON object, a peer that hangs up mid-message or stays silent past a deadline.
/// One sentence with the peer's bytes escaped; error replies from a peer are <see cref="VarlinkErrorException"/>.
/// </summary>
public class VarlinkException : ImageUpdateException
{
    public VarlinkException(string message) : base(message) { }

    public VarlinkException(string message, Exception inner) : base(message, inner) { }
}
