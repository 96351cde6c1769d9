namespace ImageUpdate.Foundation.Errors;

/// <summary>An update, acquire or vacuum cannot proceed (no space, partial candidate, missing source, ...).</summary>
public sealed class UpdateException : ImageUpdateException
{
    public UpdateException(string message) : base(message) { }

    public UpdateException(string message, Exception inner) : base(message, inner) { }
}
