using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Update.Staging;

/// <summary>
/// A staged update is refused as a whole: one entry (or the directory itself) is not what a staged
/// update may hold. The entry name in the message and in <see cref="Entry"/> is escaped already.
/// </summary>
public sealed class StagingValidationException : ImageUpdateException
{
    public StagingValidationException(string directory, string? entry, string problem)
        : base(entry is null
            ? $"The staged update in '{UntrustedText.Escape(directory)}' is refused: {problem}."
            : $"The staged update in '{UntrustedText.Escape(directory)}' is refused: the entry '{entry}' {problem}.")
    {
        Directory = directory;
        Entry = entry;
        Problem = problem;
    }

    /// <summary>The staging directory (or snapshot) that was examined, unescaped.</summary>
    public string Directory { get; }

    /// <summary>The offending entry's name with control and non-ASCII bytes escaped, or null when the directory as a whole is refused.</summary>
    public string? Entry { get; }

    /// <summary>What is wrong, as the end of the sentence ("is a symbolic link").</summary>
    public string Problem { get; }
}
