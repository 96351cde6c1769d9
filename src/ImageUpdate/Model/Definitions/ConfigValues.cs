using System.Text;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// The scalar parsers systemd's config parsers use, with systemd's exact acceptance rules
/// (src/basic/parse-util.c, path-util.c, web-util.c). Each returns false where systemd returns an error.
/// </summary>
internal static class ConfigValues
{
    /// <summary>NAME_MAX: the longest file name, in bytes.</summary>
    public const int NameMax = 255;

    /// <summary>PATH_MAX: the longest path including its NUL, in bytes.</summary>
    public const int PathMax = 4096;

    /// <summary>
    /// safe_atou64: leading whitespace skipped; "0b"/"0o" prefixes (mangle_base), then strtoull with base
    /// 0, so "0x" means hex and a leading "0" octal; an optional sign, but a negative non-zero value is
    /// out of range; nothing may follow the digits.
    /// </summary>
    public static bool TryParseUInt64(string text, out ulong value) => TryParseUnsigned(text, 0, refusePlusMinus: false, out value);

    /// <summary>safe_atoux64: the same with base 16 (strtoull then also accepts a "0x" prefix).</summary>
    public static bool TryParseHexUInt64(string text, out ulong value) => TryParseUnsigned(text, 16, refusePlusMinus: false, out value);

    /// <summary>parse_mode: octal (base 8, no sign) and at most 07777.</summary>
    public static bool TryParseMode(string text, out uint mode)
    {
        mode = 0;
        if (!TryParseUnsigned(text, 8, refusePlusMinus: true, out var value) || value > 0xFFF)
        {
            return false;
        }

        mode = (uint)value;
        return true;
    }

    private static bool TryParseUnsigned(string text, int @base, bool refusePlusMinus, out ulong value)
    {
        value = 0;
        var s = text.AsSpan().TrimStart(" \t\n\r");
        if (refusePlusMinus && s.Length > 0 && s[0] is '+' or '-')
        {
            return false;
        }

        if (@base == 0)
        {
            if (s.StartsWith("0b", StringComparison.OrdinalIgnoreCase))
            {
                @base = 2;
                s = s[2..];
            }
            else if (s.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
            {
                @base = 8;
                s = s[2..];
            }
        }

        // strtoull itself: whitespace, sign, then its own base detection.
        s = s.TrimStart(" \t\n\r\f\v");
        var negative = false;
        if (s.Length > 0 && s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if ((@base is 0 or 16) && s.Length > 2 && s[0] == '0' && s[1] is 'x' or 'X' && Uri.IsHexDigit(s[2]))
        {
            @base = 16;
            s = s[2..];
        }
        else if (@base == 0)
        {
            @base = s.Length > 0 && s[0] == '0' ? 8 : 10;
        }

        if (s.IsEmpty)
        {
            return false;
        }

        UInt128 accumulator = 0;
        foreach (var c in s)
        {
            var digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'z' => c - 'a' + 10,
                >= 'A' and <= 'Z' => c - 'A' + 10,
                _ => int.MaxValue,
            };
            if (digit >= @base)
            {
                return false;
            }

            accumulator = (accumulator * (uint)@base) + (uint)digit;
            if (accumulator > ulong.MaxValue)
            {
                return false;
            }
        }

        if (negative && accumulator != 0)
        {
            return false;
        }

        value = (ulong)accumulator;
        return true;
    }

    /// <summary>http_url_is_valid: http:// or https://, something after it, all ASCII.</summary>
    public static bool IsHttpUrl(string url) => UrlAfter(url, "http://") || UrlAfter(url, "https://");

    /// <summary>file_url_is_valid: "file:/" and something after it, all ASCII.</summary>
    public static bool IsFileUrl(string url) => UrlAfter(url, "file:/");

    private static bool UrlAfter(string url, string prefix) =>
        url.StartsWith(prefix, StringComparison.Ordinal) && url.Length > prefix.Length
        && url.AsSpan(prefix.Length).IndexOfAnyExceptInRange('\u0001', '\u007f') < 0;

    /// <summary>The UTF-8 length, which is what systemd's byte limits count.</summary>
    public static int ByteCount(string text) => Encoding.UTF8.GetByteCount(text);

    /// <summary>path_is_valid: non-empty, shorter than PATH_MAX, no component longer than NAME_MAX.</summary>
    public static bool PathIsValid(string path)
    {
        if (path.Length == 0 || ByteCount(path) >= PathMax)
        {
            return false;
        }

        return path.Split('/').All(part => ByteCount(part) <= NameMax);
    }

    /// <summary>
    /// path_is_normalized: valid, no "." or ".." component, no "//" (a trailing slash is fine).
    /// </summary>
    public static bool PathIsNormalized(string path)
    {
        if (!PathIsValid(path) || path.Contains("//", StringComparison.Ordinal))
        {
            return false;
        }

        return !path.Split('/').Any(part => part is "." or "..");
    }

    public static bool PathIsAbsolute(string path) => path.StartsWith('/');

    /// <summary>
    /// path_simplify: drops "." components, duplicate and trailing slashes (".." is kept: the file
    /// system decides what it means).
    /// </summary>
    public static string SimplifyPath(string path)
    {
        var absolute = path.StartsWith('/');
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        var joined = string.Join('/', parts);
        if (absolute)
        {
            return "/" + joined;
        }

        return joined.Length == 0 ? "." : joined;
    }

    /// <summary>filename_is_valid: not empty, not "." or "..", no '/', at most NAME_MAX bytes.</summary>
    public static bool FileNameIsValid(string name) =>
        name.Length > 0 && name is not ("." or "..") && !name.Contains('/') && ByteCount(name) <= NameMax;

    /// <summary>
    /// string_is_safe(STRING_FILENAME_PART)-style check used for component and feature names: no
    /// control characters, quotes, backslash or '/', and valid as part of a file name.
    /// </summary>
    public static bool IsSafeNamePart(string name) =>
        name.Length > 0 && ByteCount(name) <= NameMax
        && !name.Any(c => c < ' ' || c == '\u007f' || c is '"' or '\'' or '\\' or '/');
}
