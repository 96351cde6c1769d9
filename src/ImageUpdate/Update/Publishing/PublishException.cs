using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Update.Publishing;

/// <summary>
/// <c>publish</c> cannot go on: a payload is missing, the version is already published, a pattern
/// cannot be turned into a file name, the server directory's SHA256SUMS cannot be extended.
/// Nothing in the output directory has been changed when this is thrown before the renames.
/// </summary>
public sealed class PublishException : ImageUpdateException
{
    public PublishException(string message) : base(message) { }

    public PublishException(string message, Exception inner) : base(message, inner) { }
}
