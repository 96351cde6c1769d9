using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Platform.Processes;

/// <summary>
/// An external program failed: it exited non-zero, could not be started, or ran past its timeout.
/// The message is one sentence with the command and the first lines of its stderr, both escaped.
/// </summary>
public sealed class ExternalToolException : ImageUpdateException
{
    /// <summary>How many stderr lines, and how many characters of each, the message quotes.</summary>
    internal const int QuotedLines = 4;
    internal const int QuotedLineLength = 200;

    public ExternalToolException(IReadOnlyList<string> command, int? exitCode, string standardError, string what, Exception? inner = null)
        : base(Format(command, what, standardError), inner!)
    {
        Command = command;
        ToolExitCode = exitCode;
        StandardError = standardError;
    }

    /// <summary>The program and its arguments, unescaped.</summary>
    public IReadOnlyList<string> Command { get; }

    /// <summary>The program's exit status; null when it never started or was killed at its timeout.</summary>
    public int? ToolExitCode { get; }

    /// <summary>The whole captured stderr (untrusted).</summary>
    public string StandardError { get; }

    internal static ExternalToolException Exited(IReadOnlyList<string> command, int exitCode, string standardError) =>
        new(command, exitCode, standardError, $"exited with status {exitCode}");

    internal static string FormatCommand(IEnumerable<string> words) =>
        string.Join(' ', words.Select(word =>
        {
            var escaped = UntrustedText.Escape(word);
            return escaped.Length == 0 || escaped.Contains(' ') || escaped.Contains('"') ? $"\"{escaped.Replace("\"", "\\\"")}\"" : escaped;
        }));

    /// <summary>The first <see cref="QuotedLines"/> non-blank lines of stderr, each escaped and cut, joined with " | ".</summary>
    internal static string Summarize(string standardError)
    {
        var lines = standardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var builder = new StringBuilder();
        foreach (var line in lines.Take(QuotedLines))
        {
            var escaped = UntrustedText.Escape(line);
            if (escaped.Length > QuotedLineLength)
            {
                escaped = escaped[..QuotedLineLength] + "...";
            }

            builder.Append(builder.Length == 0 ? string.Empty : " | ").Append(escaped);
        }

        if (lines.Length > QuotedLines)
        {
            builder.Append($" | ({lines.Length - QuotedLines} more lines)");
        }

        return builder.ToString();
    }

    private static string Format(IReadOnlyList<string> command, string what, string standardError)
    {
        var summary = Summarize(standardError);
        var tail = summary.Length == 0 ? "." : $": {summary}";
        return $"The command '{FormatCommand(command)}' {what}{tail}";
    }
}
