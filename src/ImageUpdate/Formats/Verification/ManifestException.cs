using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// A SHA256SUMS manifest is malformed or stale. The message starts with <c>origin:line:</c> (or
/// <c>origin:</c> for whole-file problems) and quotes the offending text escaped.
/// </summary>
public sealed class ManifestException : ImageUpdateException
{
    public ManifestException(string origin, int line, string message)
        : base(line > 0 ? $"{origin}:{line}: {message}" : $"{origin}: {message}")
    {
        Origin = origin;
        Line = line;
    }

    public string Origin { get; }

    /// <summary>The 1-based line the problem is on, or 0 when it concerns the whole manifest.</summary>
    public int Line { get; }
}
