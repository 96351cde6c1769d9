namespace ImageUpdate.Foundation.Errors;

/// <summary>Bytes did not match what a signed manifest, a hash or a signature says they must be.</summary>
public sealed class VerificationException : ImageUpdateException
{
    public VerificationException(string message) : base(message) { }

    public VerificationException(string message, Exception inner) : base(message, inner) { }
}
