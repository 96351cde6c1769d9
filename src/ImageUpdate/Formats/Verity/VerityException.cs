using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verity;

/// <summary>
/// A dm-verity hash device (its superblock or hash area), a data device it describes, or a
/// <c>*-verity-sig</c> signature partition is malformed or too short for what it declares. The message
/// is one sentence: the file or device, the field, and the bad value. A hash tree that is well formed
/// but does not match its data is a <see cref="VerificationException"/> instead.
/// </summary>
public sealed class VerityException : ImageUpdateException
{
    public VerityException(string source, string problem)
        : base($"Verity data in '{UntrustedText.Escape(source)}': {problem}.")
    {
        Device = source;
        Problem = problem;
    }

    /// <summary>The file or device as given (not escaped).</summary>
    public string Device { get; }

    /// <summary>The bad field and value, without the file name.</summary>
    public string Problem { get; }
}
