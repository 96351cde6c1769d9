namespace ImageUpdate.Model.Conditions;

/// <summary>
/// POSIX fnmatch(3) with flags 0 (no FNM_PATHNAME, no FNM_PERIOD): '*' and '?' match any character
/// including '/', brackets take ranges and '!'/'^' negation, a backslash quotes the next character.
/// ConditionHost= adds FNM_CASEFOLD.
/// </summary>
public static class FnMatch
{
    public static bool IsMatch(string pattern, string text, bool caseFold = false)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(text);
        return Match(pattern, 0, text, 0, caseFold);
    }

    private static bool Match(string p, int pi, string t, int ti, bool fold)
    {
        while (pi < p.Length)
        {
            var c = p[pi];
            switch (c)
            {
                case '*':
                    while (pi < p.Length && p[pi] == '*')
                    {
                        pi++;
                    }

                    if (pi == p.Length)
                    {
                        return true;
                    }

                    for (var k = ti; k <= t.Length; k++)
                    {
                        if (Match(p, pi, t, k, fold))
                        {
                            return true;
                        }
                    }

                    return false;
                case '?':
                    if (ti == t.Length)
                    {
                        return false;
                    }

                    pi++;
                    ti++;
                    break;
                case '[':
                    if (ti == t.Length)
                    {
                        return false;
                    }

                    var end = BracketEnd(p, pi);
                    if (end < 0)
                    {
                        // An unterminated bracket is an ordinary '['.
                        if (!Same(t[ti], '[', fold))
                        {
                            return false;
                        }

                        pi++;
                        ti++;
                        break;
                    }

                    if (!InBracket(p, pi + 1, end, t[ti], fold))
                    {
                        return false;
                    }

                    pi = end + 1;
                    ti++;
                    break;
                case '\\' when pi + 1 < p.Length:
                    if (ti == t.Length || !Same(t[ti], p[pi + 1], fold))
                    {
                        return false;
                    }

                    pi += 2;
                    ti++;
                    break;
                default:
                    if (ti == t.Length || !Same(t[ti], c, fold))
                    {
                        return false;
                    }

                    pi++;
                    ti++;
                    break;
            }
        }

        return ti == t.Length;
    }

    // The index of the ']' closing the bracket that opens at start, or -1; a ']' first in the set is literal.
    private static int BracketEnd(string p, int start)
    {
        var i = start + 1;
        if (i < p.Length && p[i] is '!' or '^')
        {
            i++;
        }

        if (i < p.Length && p[i] == ']')
        {
            i++;
        }

        for (; i < p.Length; i++)
        {
            if (p[i] == '\\' && i + 1 < p.Length)
            {
                i++;
            }
            else if (p[i] == ']')
            {
                return i;
            }
        }

        return -1;
    }

    private static bool InBracket(string p, int i, int end, char c, bool fold)
    {
        var negate = p[i] is '!' or '^';
        if (negate)
        {
            i++;
        }

        var found = false;
        while (i < end)
        {
            var low = p[i];
            if (low == '\\' && i + 1 < end)
            {
                low = p[++i];
            }

            i++;
            if (i + 1 < end && p[i] == '-')
            {
                var high = p[i + 1];
                if (high == '\\' && i + 2 < end)
                {
                    high = p[i + 2];
                    i++;
                }

                i += 2;
                if (InRange(c, low, high) || (fold && (InRange(char.ToLowerInvariant(c), low, high) || InRange(char.ToUpperInvariant(c), low, high))))
                {
                    found = true;
                }
            }
            else if (Same(c, low, fold))
            {
                found = true;
            }

        }

        return found != negate;
    }

    private static bool InRange(char c, char low, char high) => c >= low && c <= high;

    private static bool Same(char a, char b, bool fold) =>
        a == b || (fold && char.ToLowerInvariant(a) == char.ToLowerInvariant(b));
}
