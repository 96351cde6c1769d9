namespace ImageUpdate.Update.Imaging;

/// <summary>
/// Sizes as repart reads and rounds them: systemd's parse_size with base 1024 (src/basic/parse-util.c)
/// and repart's round_up_size/round_down_size, which saturate at <see cref="ulong.MaxValue"/>.
/// </summary>
internal static class RepartSize
{
    /// <summary>repart aligns partitions and rounds configured sizes to 4 KiB.</summary>
    public const ulong Alignment = 4096;

    // Largest first: each further component of "1G 512M" must use a smaller suffix than the one before.
    private static readonly (string Suffix, ulong Factor)[] Suffixes =
    [
        ("E", 1UL << 60),
        ("P", 1UL << 50),
        ("T", 1UL << 40),
        ("G", 1UL << 30),
        ("M", 1UL << 20),
        ("K", 1UL << 10),
        ("B", 1),
        (string.Empty, 1),
    ];

    /// <summary>
    /// parse_size: one or more components, each blanks, decimal digits, an optional fraction, blanks and
    /// a suffix smaller than the previous component's; the components add up ("1G 512M"). A minus sign
    /// or a value beyond 64 bits fails.
    /// </summary>
    public static bool TryParse(string text, out ulong size)
    {
        size = 0;
        var p = text.AsSpan();
        UInt128 total = 0;
        var start = 0;
        do
        {
            p = p.TrimStart(" \t\n\r");

            // strtoull: its own blanks and an optional sign; parse_size refuses a minus.
            var digits = p.TrimStart(" \t\n\r\f\v");
            if (digits.Length > 0 && digits[0] == '-')
            {
                return false;
            }

            if (digits.Length > 0 && digits[0] == '+')
            {
                digits = digits[1..];
            }

            var length = 0;
            UInt128 whole = 0;
            while (length < digits.Length && char.IsAsciiDigit(digits[length]))
            {
                whole = (whole * 10) + (uint)(digits[length] - '0');
                if (whole > ulong.MaxValue)
                {
                    return false;
                }

                length++;
            }

            if (length == 0)
            {
                return false;
            }

            var e = digits[length..];
            double fraction = 0;
            if (e.Length > 0 && e[0] == '.')
            {
                e = e[1..];
                var fractionDigits = 0;
                while (fractionDigits < e.Length && char.IsAsciiDigit(e[fractionDigits]))
                {
                    fractionDigits++;
                }

                if (fractionDigits > 0)
                {
                    // As parse_size: the digits as a number, then divided by ten once per digit.
                    if (!ulong.TryParse(e[..fractionDigits], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var numerator))
                    {
                        return false;
                    }

                    fraction = numerator;
                    for (var i = 0; i < fractionDigits; i++)
                    {
                        fraction /= 10;
                    }

                    e = e[fractionDigits..];
                }
            }

            e = e.TrimStart(" \t\n\r");
            var index = start;
            while (index < Suffixes.Length && !e.StartsWith(Suffixes[index].Suffix, StringComparison.Ordinal))
            {
                index++;
            }

            if (index >= Suffixes.Length)
            {
                return false;
            }

            var factor = Suffixes[index].Factor;
            if (whole + (fraction > 0 ? 1UL : 0UL) > ulong.MaxValue / factor)
            {
                return false;
            }

            total += (whole * factor) + (ulong)(fraction * factor);
            if (total > ulong.MaxValue)
            {
                return false;
            }

            p = e[Suffixes[index].Suffix.Length..];
            start = index + 1;
        }
        while (!p.IsEmpty);

        size = (ulong)total;
        return true;
    }

    public static ulong RoundUp(ulong value, ulong unit)
    {
        var units = (value / unit) + (value % unit == 0 ? 0UL : 1UL);
        return units > ulong.MaxValue / unit ? ulong.MaxValue : units * unit;
    }

    public static ulong RoundDown(ulong value, ulong unit) => value / unit * unit;

    /// <summary>systemd's LESS_BY: a - b, or 0 when b is larger.</summary>
    public static ulong LessBy(ulong a, ulong b) => a > b ? a - b : 0;
}
