using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Casync;

/// <summary>
/// A casync index (.caibx) or a chunk of a chunk store is malformed, truncated, hostile, missing, or
/// does not match its ID. The message is one sentence naming the file.
/// </summary>
public sealed class CasyncFormatException : ImageUpdateException
{
    public CasyncFormatException(string message) : base(message) { }

    public CasyncFormatException(string message, Exception inner) : base(message, inner) { }

    internal static CasyncFormatException Index(string source, string problem) =>
        new($"The casync index '{UntrustedText.Escape(source)}' {problem}.");

    internal static CasyncFormatException Chunk(string path, string problem) =>
        new($"The chunk '{UntrustedText.Escape(path)}' {problem}.");

    internal static CasyncFormatException Chunk(string path, string problem, Exception inner) =>
        new($"The chunk '{UntrustedText.Escape(path)}' {problem}.", inner);
}
