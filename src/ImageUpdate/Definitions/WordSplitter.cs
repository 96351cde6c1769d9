using System.Globalization;
using System.Text;

namespace ImageUpdate.Definitions;

/// <summary>The extract_first_word flags sysupdate's parsers use (src/basic/extract-word.h).</summary>
[Flags]
internal enum ExtractFlags
{
    None = 0,

    /// <summary>EXTRACT_UNQUOTE: '...' and "..." group words and the quotes are removed.</summary>
    Unquote = 1,

    /// <summary>EXTRACT_RETAIN_ESCAPE: a backslash is an ordinary character.</summary>
    RetainEscape = 2,

    /// <summary>EXTRACT_CUNESCAPE: C escapes (\n, \x41, \101, \u00e9, \s ...) are decoded.</summary>
    CUnescape = 4,

    /// <summary>EXTRACT_UNESCAPE_RELAX: an unknown escape, or a trailing backslash, is kept verbatim.</summary>
    UnescapeRelax = 8,
}

/// <summary>
/// systemd's extract_first_word loop (src/basic/extract-word.c) for the flag combinations sysupdate
/// uses: whitespace-separated words, optional quoting and C unescaping.
/// </summary>
internal static class WordSplitter
{
    private const string Separators = " \t\n\r";

    /// <summary>All words; false (with the words extracted before the failure) on a syntax error.</summary>
    public static bool TrySplit(string text, ExtractFlags flags, out List<string> words)
    {
        words = [];
        var position = 0;
        while (true)
        {
            var status = NextWord(text, ref position, flags, out var word);
            if (status < 0)
            {
                return false;
            }

            if (status == 0)
            {
                return true;
            }

            words.Add(word);
        }
    }

    // 1: a word; 0: no more words; -1: syntax error.
    private static int NextWord(string text, ref int p, ExtractFlags flags, out string word)
    {
        word = string.Empty;
        while (p < text.Length && Separators.Contains(text[p], StringComparison.Ordinal))
        {
            p++;
        }

        if (p >= text.Length)
        {
            return 0;
        }

        var s = new StringBuilder();
        char quote = '\0';
        var backslash = false;
        while (true)
        {
            if (backslash)
            {
                if (p >= text.Length)
                {
                    // A trailing backslash outside quotes is kept only in relaxed mode.
                    if (flags.HasFlag(ExtractFlags.UnescapeRelax) && quote == '\0')
                    {
                        s.Append('\\');
                        break;
                    }

                    return -1;
                }

                var c = text[p];
                if (flags.HasFlag(ExtractFlags.CUnescape))
                {
                    var consumed = CUnescapeOne(text, p, out var decoded);
                    if (consumed > 0)
                    {
                        s.Append(decoded);
                        p += consumed;
                    }
                    else if (flags.HasFlag(ExtractFlags.UnescapeRelax))
                    {
                        s.Append('\\').Append(c);
                        p++;
                    }
                    else
                    {
                        return -1;
                    }
                }
                else
                {
                    s.Append(c);
                    p++;
                }

                backslash = false;
                continue;
            }

            if (p >= text.Length)
            {
                if (quote != '\0')
                {
                    return -1;
                }

                break;
            }

            var ch = text[p];
            if (quote != '\0')
            {
                p++;
                if (ch == quote)
                {
                    quote = '\0';
                    if (!flags.HasFlag(ExtractFlags.Unquote))
                    {
                        s.Append(ch);
                    }
                }
                else if (ch == '\\' && !flags.HasFlag(ExtractFlags.RetainEscape))
                {
                    backslash = true;
                }
                else
                {
                    s.Append(ch);
                }

                continue;
            }

            if (ch is '\'' or '"' && flags.HasFlag(ExtractFlags.Unquote))
            {
                quote = ch;
                p++;
            }
            else if (ch == '\\' && !flags.HasFlag(ExtractFlags.RetainEscape))
            {
                backslash = true;
                p++;
            }
            else if (Separators.Contains(ch, StringComparison.Ordinal))
            {
                break;
            }
            else
            {
                s.Append(ch);
                p++;
            }
        }

        word = s.ToString();
        return 1;
    }

    /// <summary>
    /// cunescape_one: the escape after a backslash at <paramref name="p"/>. Returns how many characters
    /// it spans, or 0 when it is not a valid escape (a NUL is never valid here).
    /// </summary>
    private static int CUnescapeOne(string text, int p, out string decoded)
    {
        decoded = string.Empty;
        var c = text[p];
        switch (c)
        {
            case 'a': decoded = "\a"; return 1;
            case 'b': decoded = "\b"; return 1;
            case 'f': decoded = "\f"; return 1;
            case 'n': decoded = "\n"; return 1;
            case 'r': decoded = "\r"; return 1;
            case 't': decoded = "\t"; return 1;
            case 'v': decoded = "\v"; return 1;
            case '\\': decoded = "\\"; return 1;
            case '"': decoded = "\""; return 1;
            case '\'': decoded = "'"; return 1;
            case 's': decoded = " "; return 1;
            case 'x':
                return Hex(text, p + 1, 2, out decoded) ? 3 : 0;
            case 'u':
                return Hex(text, p + 1, 4, out decoded) ? 5 : 0;
            case 'U':
                return Hex(text, p + 1, 8, out decoded) ? 9 : 0;
            case >= '0' and <= '7':
                if (p + 3 > text.Length || !IsOctal(text[p + 1]) || !IsOctal(text[p + 2]))
                {
                    return 0;
                }

                var m = ((c - '0') << 6) | ((text[p + 1] - '0') << 3) | (text[p + 2] - '0');
                if (m == 0 || m > 255)
                {
                    return 0;
                }

                // An octal escape is a raw byte; bytes above 0x7f are not UTF-8 on their own and are
                // carried as the Latin-1 character, which every later validation rejects as non-ASCII.
                decoded = ((char)m).ToString();
                return 3;
            default:
                return 0;
        }
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';

    private static bool Hex(string text, int start, int digits, out string decoded)
    {
        decoded = string.Empty;
        if (start + digits > text.Length
            || !uint.TryParse(text.AsSpan(start, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            || value == 0)
        {
            return false;
        }

        if (digits == 2)
        {
            decoded = ((char)value).ToString();
            return true;
        }

        // \u and \U must name a Unicode scalar value.
        if (value > 0x10FFFF || value is >= 0xD800 and <= 0xDFFF)
        {
            return false;
        }

        decoded = char.ConvertFromUtf32((int)value);
        return true;
    }
}
