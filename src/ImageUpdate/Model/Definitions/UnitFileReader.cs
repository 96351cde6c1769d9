using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// Reads systemd unit-style files the way src/shared/conf-parser.c config_parse does.
/// </summary>
/// <remarks>
/// Lines end at \n, \r, \r\n or NUL. A line whose first non-blank character is '#' or ';' is a comment
/// and skipped even in the middle of a continuation. A line ending in an odd number of backslashes
/// continues on the next line, the backslash becoming a space; the joined line is reported at the
/// number of its last physical line (or one past the end of the file if the file ends inside it).
/// A UTF-8 byte-order mark on the first line is dropped. Blank lines are skipped. Fatal (as in
/// systemd): a line that is not UTF-8, a section header without ']', a section name with control
/// characters, quotes or backslashes. Logged and ignored: unknown sections (and everything in them,
/// unless named X-...), assignments before any section, lines without '=', lines with no key.
/// </remarks>
public static class UnitFileReader
{
    private static readonly byte[] Utf8ByteOrderMark = [0xEF, 0xBB, 0xBF];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads and parses <paramref name="path"/>; <paramref name="displayName"/> is what messages call it.</summary>
    public static IReadOnlyList<UnitFileAssignment> Read(
        string path, string displayName, IReadOnlyCollection<string> sections, Action<ConfigurationWarning> warn)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllBytes(path), displayName, sections, warn);
    }

    /// <summary>Parses file contents; throws <see cref="ConfigurationException"/> where systemd fails the file.</summary>
    public static IReadOnlyList<UnitFileAssignment> Parse(
        ReadOnlySpan<byte> content, string file, IReadOnlyCollection<string> sections, Action<ConfigurationWarning> warn)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(warn);

        var result = new List<UnitFileAssignment>();
        var state = new SectionState();
        List<byte>? continuation = null;
        var lineNumber = 0;
        var bomSeen = false;
        var position = 0;
        while (NextLine(content, ref position, out var line))
        {
            lineNumber++;

            var firstNonBlank = line.IndexOfAnyExcept(" \t\n\r"u8);
            if (firstNonBlank >= 0 && line[firstNonBlank] is (byte)'#' or (byte)';')
            {
                continue;
            }

            if (!bomSeen && line.StartsWith(Utf8ByteOrderMark))
            {
                line = line[3..];
                bomSeen = true;
            }

            byte[] logical;
            if (continuation is not null)
            {
                continuation.AddRange(line);
                logical = [.. continuation];
            }
            else
            {
                logical = line.ToArray();
            }

            if (EndsWithEscape(logical))
            {
                logical[^1] = (byte)' ';
                continuation = [.. logical];
                continue;
            }

            continuation = null;
            ParseLine(logical, file, lineNumber, sections, state, result, warn);
        }

        if (continuation is not null)
        {
            ParseLine([.. continuation], file, lineNumber + 1, sections, state, result, warn);
        }

        return result;
    }

    private sealed class SectionState
    {
        public string? Section { get; set; }

        public bool Ignored { get; set; }
    }

    // read_line: \n, \r, \r\n and NUL each end a line; a final line without terminator still counts.
    private static bool NextLine(ReadOnlySpan<byte> content, ref int position, out ReadOnlySpan<byte> line)
    {
        if (position >= content.Length)
        {
            line = default;
            return false;
        }

        var rest = content[position..];
        var end = rest.IndexOfAny((byte)'\n', (byte)'\r', (byte)0);
        if (end < 0)
        {
            line = rest;
            position = content.Length;
            return true;
        }

        line = rest[..end];
        position += end + 1;
        if (rest[end] == '\r' && end + 1 < rest.Length && rest[end + 1] == '\n')
        {
            position++;
        }

        return true;
    }

    private static bool EndsWithEscape(byte[] line)
    {
        var escaped = false;
        foreach (var b in line)
        {
            escaped = !escaped && b == '\\';
        }

        return escaped;
    }

    private static void ParseLine(
        byte[] bytes, string file, int line, IReadOnlyCollection<string> sections, SectionState state,
        List<UnitFileAssignment> result, Action<ConfigurationWarning> warn)
    {
        var trimmed = bytes.AsSpan().Trim(" \t\n\r"u8);
        if (trimmed.IsEmpty)
        {
            return;
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(trimmed);
        }
        catch (DecoderFallbackException)
        {
            throw new ConfigurationException(file, line, null,
                $"The line '{UntrustedText.Escape(trimmed)}' is not valid UTF-8.");
        }

        if (text[0] == '[')
        {
            if (text[^1] != ']')
            {
                throw new ConfigurationException(file, line, null, $"Invalid section header '{UntrustedText.Escape(text)}'.");
            }

            var name = text[1..^1];
            if (name.Any(c => c < ' ' || c == '\u007f' || c is '"' or '\'' or '\\'))
            {
                throw new ConfigurationException(file, line, null,
                    $"Bad characters in section header '{UntrustedText.Escape(text)}'.");
            }

            if (sections.Contains(name))
            {
                state.Section = name;
                state.Ignored = false;
            }
            else
            {
                if (!name.StartsWith("X-", StringComparison.Ordinal))
                {
                    warn(new ConfigurationWarning(file, line, null, $"Unknown section '{UntrustedText.Escape(name)}', ignoring.", WarningKind.UnknownName));
                }

                state.Section = null;
                state.Ignored = true;
            }

            return;
        }

        if (state.Section is null)
        {
            if (!state.Ignored)
            {
                warn(new ConfigurationWarning(file, line, null, "Assignment outside of a section, ignoring."));
            }

            return;
        }

        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            warn(new ConfigurationWarning(file, line, null, $"Missing '=' in '{UntrustedText.Escape(text)}', ignoring the line."));
            return;
        }

        if (equals == 0)
        {
            warn(new ConfigurationWarning(file, line, null, "Missing key name before '=', ignoring the line."));
            return;
        }

        var key = text[..equals].Trim(' ', '\t', '\n', '\r');
        var value = text[(equals + 1)..].Trim(' ', '\t', '\n', '\r');
        result.Add(new UnitFileAssignment(file, line, state.Section, key, value));
    }
}
