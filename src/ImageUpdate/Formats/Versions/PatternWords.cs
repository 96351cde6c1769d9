using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Versions;

/// <summary>
/// Splits one MatchPattern= value into pattern texts the way sysupdate does
/// (src/sysupdate/sysupdate-transfer.c config_parse_resource_pattern):
/// <c>extract_first_word(..., EXTRACT_CUNESCAPE|EXTRACT_UNESCAPE_RELAX)</c> with the default separators.
/// </summary>
/// <remarks>
/// Words are separated by runs of space, tab, CR or LF. C escapes are decoded (<c>\a \b \f \n \r \t \v
/// \\ \" \' \s</c>, <c>\xHH</c>, <c>\NNN</c> octal, <c>\uHHHH</c>, <c>\UHHHHHHHH</c>; never NUL). sysupdate
/// does NOT pass EXTRACT_UNQUOTE, so quotes are ordinary characters that stay in the pattern, and a
/// backslash cannot escape a separator. Where systemd keeps an unknown escape or a trailing backslash
/// verbatim (EXTRACT_UNESCAPE_RELAX), the resulting pattern would contain a '\', which the pattern
/// language refuses; this splitter refuses such a value at once, with a message that names the escape.
/// </remarks>
public static class PatternWords
{
    private const string Separators = " \t\n\r";

    /// <summary>The words of <paramref name="value"/>; empty for an empty or blank value (which resets the list).</summary>
    public static IReadOnlyList<string> Split(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var words = new List<string>();
        var i = 0;
        while (true)
        {
            while (i < value.Length && Separators.Contains(value[i]))
            {
                i++;
            }

            if (i == value.Length)
            {
                return words;
            }

            var word = new StringBuilder();
            while (i < value.Length && !Separators.Contains(value[i]))
            {
                var c = value[i];
                if (c != '\\')
                {
                    word.Append(c);
                    i++;
                    continue;
                }

                if (i + 1 == value.Length)
                {
                    throw new PatternException($"MatchPattern= value '{UntrustedText.Escape(value)}' ends in a lone backslash.");
                }

                var length = Unescape(value.AsSpan(i + 1), word);
                if (length == 0)
                {
                    var end = Math.Min(value.Length, i + 2);
                    throw new PatternException(
                        $"'{UntrustedText.Escape(value[i..end])}' is not a valid escape in MatchPattern= value '{UntrustedText.Escape(value)}'.");
                }

                i += 1 + length;
            }

            words.Add(word.ToString());
        }
    }

    // systemd's cunescape_one() with accept_nul=false: decodes the escape that starts right after the
    // backslash, appends it, and returns how many characters it used; 0 when it is not valid.
    private static int Unescape(ReadOnlySpan<char> s, StringBuilder output)
    {
        switch (s[0])
        {
            case 'a': output.Append('\a'); return 1;
            case 'b': output.Append('\b'); return 1;
            case 'f': output.Append('\f'); return 1;
            case 'n': output.Append('\n'); return 1;
            case 'r': output.Append('\r'); return 1;
            case 't': output.Append('\t'); return 1;
            case 'v': output.Append('\v'); return 1;
            case '\\': output.Append('\\'); return 1;
            case '"': output.Append('"'); return 1;
            case '\'': output.Append('\''); return 1;
            case 's': output.Append(' '); return 1; // an extension of the XDG syntax
            case 'x':
                {
                    if (!TryHex(s, 1, 2, out var code) || code == 0)
                    {
                        return 0;
                    }

                    // A raw byte in systemd; here the code point of the same value (any non-ASCII
                    // value is refused by the pattern language anyway).
                    output.Append((char)code);
                    return 3;
                }

            case 'u':
                {
                    if (!TryHex(s, 1, 4, out var code) || code == 0)
                    {
                        return 0;
                    }

                    output.Append((char)code);
                    return 5;
                }

            case 'U':
                {
                    if (!TryHex(s, 1, 8, out var code) || code == 0 || !IsValidCodePoint(code))
                    {
                        return 0;
                    }

                    output.Append(char.ConvertFromUtf32((int)code));
                    return 9;
                }

            case >= '0' and <= '7':
                {
                    if (s.Length < 3 || s[1] is < '0' or > '7' || s[2] is < '0' or > '7')
                    {
                        return 0;
                    }

                    var code = ((s[0] - '0') << 6) | ((s[1] - '0') << 3) | (s[2] - '0');
                    if (code is 0 or > 255)
                    {
                        return 0;
                    }

                    output.Append((char)code);
                    return 3;
                }

            default:
                return 0;
        }
    }

    private static bool TryHex(ReadOnlySpan<char> s, int start, int count, out uint value)
    {
        value = 0;
        if (s.Length < start + count)
        {
            return false;
        }

        for (var k = start; k < start + count; k++)
        {
            var c = s[k];
            if (!SystemdValueParsers.IsHexDigit(c))
            {
                return false;
            }

            value = (value << 4) | (uint)Convert.ToInt32(c.ToString(), 16);
        }

        return true;
    }

    // systemd's unichar_is_valid(): in range, not a surrogate, not a noncharacter.
    private static bool IsValidCodePoint(uint c) =>
        c < 0x110000
        && (c & 0xFFFFF800) != 0xD800
        && c is not (>= 0xFDD0 and <= 0xFDEF)
        && (c & 0xFFFE) != 0xFFFE;
}
