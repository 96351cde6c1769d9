namespace ImageUpdate.Formats.Versions;

/// <summary>
/// Version order exactly as systemd's <c>strverscmp_improved</c> (sysupdate.md §3,
/// src/fundamental/string-util-fundamental.c), and version validity as sysupdate's
/// <c>version_is_valid</c> (src/basic/string-util.c).
/// </summary>
/// <remarks>
/// The string is read as segments. Characters outside <c>[A-Za-z0-9~^.-]</c> are dropped and only
/// separate segments. Prefixes rank <c>~</c> (older than everything, even the end of the string), then
/// the end of the string, then <c>-</c>, then <c>^</c>, then <c>.</c>, then no prefix (newest). A numeric
/// segment beats an alphabetic one; numbers compare by value (leading zeros ignored, any length);
/// letters compare byte-wise, a longer run being newer when one is a prefix of the other.
/// </remarks>
public sealed class VersionComparer : IComparer<string>
{
    public static readonly VersionComparer Instance = new();

    /// <summary>sysupdate's limit on a version: it must fit in a file name (NAME_MAX bytes).</summary>
    public const int MaxVersionLength = 255;

    /// <summary>
    /// Negative when <paramref name="a"/> is older than <paramref name="b"/>, zero when equal, positive
    /// when newer. Like systemd (<c>strempty()</c>), null compares as the empty string.
    /// </summary>
    public static int CompareVersions(string? a, string? b)
    {
        var x = (a ?? string.Empty).AsSpan();
        var y = (b ?? string.Empty).AsSpan();
        int i = 0, j = 0;

        // Every pass consumes at least one character of one side or returns (the prefix steps below
        // either advance both sides or decide), so the loop terminates.
        while (true)
        {
            while (i < x.Length && !IsVersionChar(x[i]))
            {
                i++;
            }

            while (j < y.Length && !IsVersionChar(y[j]))
            {
                j++;
            }

            var ca = At(x, i);
            var cb = At(y, j);

            // '~' marks a pre-release: older than anything, even the end of the other string.
            if (ca == '~' || cb == '~')
            {
                var r = Cmp(ca != '~', cb != '~');
                if (r != 0)
                {
                    return r;
                }

                i++;
                j++;
            }

            ca = At(x, i);
            cb = At(y, j);

            // Past the '~' rule, the string that still has segments is newer. systemd compares the two
            // C chars here; what follows a '~' is not filtered, and a non-ASCII byte is negative as a
            // (signed, x86-64) char, so it ranks below the end of the string.
            if (ca == '\0' || cb == '\0')
            {
                return Cmp(SignedByteValue(ca), SignedByteValue(cb));
            }

            // Then '-' (version/release separator), '^' (patched release), '.' (point release), in
            // that order: at each, the side carrying the prefix is the older.
            foreach (var prefix in "-^.")
            {
                ca = At(x, i);
                cb = At(y, j);
                if (ca == prefix || cb == prefix)
                {
                    var r = Cmp(ca != prefix, cb != prefix);
                    if (r != 0)
                    {
                        return r;
                    }

                    i++;
                    j++;
                }
            }

            ca = At(x, i);
            cb = At(y, j);
            int endA = i, endB = j;
            if (IsDigit(ca) || IsDigit(cb))
            {
                while (IsDigit(At(x, endA)))
                {
                    endA++;
                }

                while (IsDigit(At(y, endB)))
                {
                    endB++;
                }

                // A numeric segment is newer than none at all (i.e. than letters or a separator).
                var r = Cmp(endA != i, endB != j);
                if (r != 0)
                {
                    return r;
                }

                while (At(x, i) == '0')
                {
                    i++;
                }

                while (At(y, j) == '0')
                {
                    j++;
                }

                // Without leading zeros (which are digits, so this stays inside the segment), the
                // longer number is the larger one; equal lengths compare digit by digit.
                var lenA = endA - i;
                var lenB = endB - j;
                r = Cmp(lenA, lenB);
                if (r != 0)
                {
                    return r;
                }

                r = Sign(x.Slice(i, lenA).SequenceCompareTo(y.Slice(j, lenB)));
                if (r != 0)
                {
                    return r;
                }
            }
            else
            {
                while (IsAlpha(At(x, endA)))
                {
                    endA++;
                }

                while (IsAlpha(At(y, endB)))
                {
                    endB++;
                }

                var lenA = endA - i;
                var lenB = endB - j;
                var common = Math.Min(lenA, lenB);
                var r = Sign(x.Slice(i, common).SequenceCompareTo(y.Slice(j, common)));
                if (r != 0)
                {
                    return r;
                }

                r = Cmp(lenA, lenB);
                if (r != 0)
                {
                    return r;
                }
            }

            i = endA;
            j = endB;
        }
    }

    /// <summary>
    /// Whether a string is a valid version as systemd-sysupdate 262 accepts one: non-empty, at most
    /// <see cref="MaxVersionLength"/> bytes, and only ASCII letters, digits and <c>._+-~^</c>. 262 took
    /// in '~' (pre-releases) and '^' (patch releases), which its version order has always ranked, and
    /// dropped ','; 257 allowed <c>.,_-+</c> only (checked against both in the differential tests).
    /// "." and ".." pass systemd (<c>filename_part_is_valid</c>) but not here: as a version they would
    /// name the directory itself or its parent.
    /// </summary>
    public static bool IsValid(string? version)
    {
        if (string.IsNullOrEmpty(version) || version.Length > MaxVersionLength || version is "." or "..")
        {
            return false;
        }

        foreach (var c in version)
        {
            if (!IsAlpha(c) && !IsDigit(c) && c is not ('.' or '_' or '-' or '+' or '~' or '^'))
            {
                return false;
            }
        }

        return true;
    }

    public int Compare(string? x, string? y) => CompareVersions(x, y);

    private static char At(ReadOnlySpan<char> s, int index) => index < s.Length ? s[index] : '\0';

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static bool IsAlpha(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z');

    private static bool IsVersionChar(char c) => IsDigit(c) || IsAlpha(c) || c is '~' or '-' or '^' or '.';

    private static int Cmp(bool a, bool b) => a == b ? 0 : a ? 1 : -1;

    private static int Cmp(int a, int b) => a.CompareTo(b) switch { < 0 => -1, > 0 => 1, _ => 0 };

    private static int Sign(int value) => Math.Sign(value);

    // The sign a character's (first UTF-8) byte has as a signed C char: 0 for NUL, negative for non-ASCII.
    private static int SignedByteValue(char c) => c >= 0x80 ? -1 : c;
}
