using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verification.Signing;

/// <summary>
/// A secret key file cannot be used to sign: it is not an OpenPGP secret key export, it is damaged,
/// protected by a passphrase, or holds no key that may sign. The message names the file.
/// </summary>
public sealed class SigningKeyException : ImageUpdateException
{
    public SigningKeyException(string origin, string message)
        : base(message)
    {
        Origin = origin;
    }

    public SigningKeyException(string origin, string message, Exception inner)
        : base(message, inner)
    {
        Origin = origin;
    }

    /// <summary>The key file the problem is in.</summary>
    public string Origin { get; }
}
