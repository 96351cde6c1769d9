namespace ImageUpdate.Formats.Versions;

/// <summary>
/// The value parsers sysupdate applies to a wildcard's capture (src/sysupdate/sysupdate-pattern.c
/// pattern_match), with the exact acceptance of the systemd helpers behind them: <c>safe_atou64</c> and
/// <c>safe_atoux64</c> (src/basic/parse-util.c, on top of glibc <c>strtoull</c>), <c>parse_mode</c>,
/// <c>parse_boolean</c> (<see cref="SystemdBoolean"/>), <c>sd_id128_from_string</c> and <c>unhexmem</c>. They differ from .NET's parsers
/// in ways that decide whether a name matches (leading whitespace, signs, "0x"/"0o"/"0b" prefixes, C
/// octal), so they are written out here rather than approximated.
/// </summary>
internal static class SystemdValueParsers
{
    // systemd's WHITESPACE set, skipped by safe_ato*() before anything else.
    private const string SystemdWhitespace = " \t\n\r";

    /// <summary><c>safe_atou64()</c>: base from the prefix ("0x" hex, "0o"/leading "0" octal, "0b" binary, else decimal).</summary>
    public static bool TryParseUInt64(string text, out ulong value) => TryParseUInt64Full(text, 0, out value);

    /// <summary><c>safe_atoux64()</c>: hexadecimal, an optional "0x" accepted as strtoull does.</summary>
    public static bool TryParseHexUInt64(string text, out ulong value) => TryParseUInt64Full(text, 16, out value);

    /// <summary><c>parse_mode()</c>: octal, no sign, at most 07777.</summary>
    public static bool TryParseMode(string text, out uint mode)
    {
        mode = 0;
        var s = text.AsSpan().TrimStart(SystemdWhitespace);
        if (s.Length > 0 && s[0] is '+' or '-')
        {
            return false;
        }

        if (!StrToULL(s, 8, out var parsed, out var consumed) || consumed == 0 || consumed != s.Length)
        {
            return false;
        }

        // safe_atou_full(): a negative value is refused, and the result must fit an unsigned int.
        if ((parsed != 0 && s.Length > 0 && s[0] == '-') || parsed > uint.MaxValue || parsed > 0xFFF)
        {
            return false;
        }

        mode = (uint)parsed;
        return true;
    }

    /// <summary>
    /// <c>sd_id128_from_string()</c>: 32 hex digits, or the 8-4-4-4-12 form with all four dashes; either case.
    /// </summary>
    public static bool TryParseId128(string text, out Guid id)
    {
        id = Guid.Empty;
        Span<char> hex = stackalloc char[32];
        int n = 0;
        var isUuid = text.Length == 36;
        if (text.Length != 32 && !isUuid)
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (isUuid && i is 8 or 13 or 18 or 23)
            {
                if (c != '-')
                {
                    return false;
                }

                continue;
            }

            if (!IsHexDigit(c))
            {
                return false;
            }

            hex[n++] = char.ToLowerInvariant(c);
        }

        // The "N" form is the bytes in string order, which is how systemd and the GPT display a UUID.
        id = Guid.ParseExact(hex, "N");
        return true;
    }

    /// <summary>A SHA-256 as <c>unhexmem()</c> takes it: exactly 64 hex digits, either case; returned lower-case.</summary>
    public static bool TryParseSha256(string text, out string lowerHex)
    {
        lowerHex = string.Empty;
        if (text.Length != 64)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!IsHexDigit(c))
            {
                return false;
            }
        }

        lowerHex = text.ToLowerInvariant();
        return true;
    }

    public static bool IsHexDigit(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f') or (>= 'A' and <= 'F');

    private static bool TryParseUInt64Full(string text, int numberBase, out ulong value)
    {
        value = 0;
        var s = text.AsSpan().TrimStart(SystemdWhitespace);

        // mangle_base(): with no explicit base, Python-style "0b" and "0o" prefixes pick the base.
        if (numberBase == 0 && s.Length >= 2 && s[0] == '0')
        {
            if (s[1] is 'b' or 'B')
            {
                numberBase = 2;
                s = s[2..];
            }
            else if (s[1] is 'o' or 'O')
            {
                numberBase = 8;
                s = s[2..];
            }
        }

        if (!StrToULL(s, numberBase, out var parsed, out var consumed) || consumed == 0 || consumed != s.Length)
        {
            return false;
        }

        // safe_atollu_full(): strtoull() negates "-5" silently; systemd refuses it unless it is zero.
        if (parsed != 0 && s[0] == '-')
        {
            return false;
        }

        value = parsed;
        return true;
    }

    /// <summary>
    /// glibc <c>strtoull()</c>: isspace() skipped, an optional sign, for base 0/16 a "0x" prefix when a hex
    /// digit follows, for base 0 a leading '0' meaning octal; a negative value wraps. Returns false on
    /// overflow (ERANGE); <paramref name="consumed"/> is 0 when no digits were found.
    /// </summary>
    private static bool StrToULL(ReadOnlySpan<char> s, int numberBase, out ulong value, out int consumed)
    {
        value = 0;
        consumed = 0;
        var i = 0;
        while (i < s.Length && s[i] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r')
        {
            i++;
        }

        var negative = false;
        if (i < s.Length && s[i] is '+' or '-')
        {
            negative = s[i] == '-';
            i++;
        }

        if ((numberBase is 0 or 16) && i + 2 < s.Length && s[i] == '0' && s[i + 1] is 'x' or 'X' && DigitValue(s[i + 2]) < 16)
        {
            numberBase = 16;
            i += 2;
        }
        else if (numberBase == 0)
        {
            numberBase = i < s.Length && s[i] == '0' ? 8 : 10;
        }

        var start = i;
        ulong result = 0;
        var overflow = false;
        while (i < s.Length && DigitValue(s[i]) < numberBase)
        {
            var digit = (ulong)DigitValue(s[i]);
            if (result > (ulong.MaxValue - digit) / (ulong)numberBase)
            {
                overflow = true;
            }

            result = unchecked((result * (ulong)numberBase) + digit);
            i++;
        }

        if (i == start)
        {
            return true; // no conversion: consumed stays 0
        }

        if (overflow)
        {
            return false;
        }

        value = negative ? unchecked(0 - result) : result;
        consumed = i;
        return true;
    }

    private static int DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'z' => c - 'a' + 10,
        >= 'A' and <= 'Z' => c - 'A' + 10,
        _ => int.MaxValue,
    };
}
