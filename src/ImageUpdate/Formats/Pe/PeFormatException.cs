using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Pe;

/// <summary>
/// A PE/COFF image (a systemd-stub, a kernel, a UKI) is not one, is malformed, or cannot take what is
/// asked of it (no room for another section header, a section that does not fit). The message is one
/// sentence: the file, then the field and its bad value.
/// </summary>
public sealed class PeFormatException : ImageUpdateException
{
    public PeFormatException(string source, string problem)
        : base($"PE image '{UntrustedText.Escape(source)}': {problem}.")
    {
        File = source;
        Problem = problem;
    }

    /// <summary>The file as given (not escaped).</summary>
    public string File { get; }

    /// <summary>The bad field and value, without the file name.</summary>
    public string Problem { get; }
}
