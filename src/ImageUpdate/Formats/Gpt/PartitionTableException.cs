using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// A GPT (or its protective MBR) on a disk or image is malformed, truncated or cannot hold what is asked
/// of it. The message is one sentence: the device or file, the structure and field, and the bad value.
/// </summary>
public sealed class PartitionTableException : ImageUpdateException
{
    public PartitionTableException(string source, string problem)
        : base($"Partition table on '{UntrustedText.Escape(source)}': {problem}.")
    {
        Device = source;
        Problem = problem;
    }

    /// <summary>The device or file name as given (not escaped).</summary>
    public string Device { get; }

    /// <summary>The bad field and value, without the device (used to join the reasons of both GPT copies).</summary>
    public string Problem { get; }
}
