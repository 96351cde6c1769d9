using System.Text;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// systemd's extract_first_word with EXTRACT_UNQUOTE|EXTRACT_RETAIN_ESCAPE (src/basic/extract-word.c),
/// as config_parse_strv uses it for Features= and RequisiteFeatures=: words separated by runs of
/// whitespace; '...' and "..." group and are removed (also in the middle of a word); a backslash is an
/// ordinary character; an unterminated quote is a syntax error. (MatchPattern= words are split by
/// <see cref="Formats.Versions.PatternWords"/>, which C-unescapes instead.)
/// </summary>
internal static class WordSplitter
{
    private const string Separators = " \t\n\r";

    /// <summary>All words; false, with the words before the bad one, on an unterminated quote.</summary>
    public static bool TrySplitUnquoted(string text, out List<string> words)
    {
        words = [];
        var p = 0;
        while (true)
        {
            while (p < text.Length && Separators.Contains(text[p], StringComparison.Ordinal))
            {
                p++;
            }

            if (p >= text.Length)
            {
                return true;
            }

            var word = new StringBuilder();
            var quote = '\0';
            for (; p < text.Length; p++)
            {
                var c = text[p];
                if (quote != '\0')
                {
                    if (c == quote)
                    {
                        quote = '\0';
                    }
                    else
                    {
                        word.Append(c);
                    }
                }
                else if (c is '\'' or '"')
                {
                    quote = c;
                }
                else if (Separators.Contains(c, StringComparison.Ordinal))
                {
                    break;
                }
                else
                {
                    word.Append(c);
                }
            }

            if (quote != '\0')
            {
                return false;
            }

            words.Add(word.ToString());
        }
    }
}
