namespace ImageUpdate.Foundation.Errors;

/// <summary>
/// The base of every error image-update reports to its user. The message is one sentence that
/// quotes the bad value and says where it came from (file:line, device, URL); untrusted text in it
/// has already been escaped with <see cref="UntrustedText.Escape(string)"/>.
/// </summary>
public class ImageUpdateException : Exception
{
    public ImageUpdateException(string message) : base(message) { }

    public ImageUpdateException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The process exit code the command line uses for this error (1 unless a subclass says otherwise).</summary>
    public virtual int ExitCode => 1;
}
