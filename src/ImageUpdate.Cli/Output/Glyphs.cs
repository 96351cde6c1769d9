namespace ImageUpdate.Cli.Output;

/// <summary>
/// The marks `list` prints, in UTF-8 when the locale is UTF-8 and as ASCII otherwise, as systemd
/// chooses them (glyph-util: is_locale_utf8).
/// </summary>
public static class Glyphs
{
    public static bool Utf8 { get; } = DetectUtf8();

    public static string BlackCircle => Utf8 ? "●" : "*";

    public static string WhiteCircle => Utf8 ? "○" : "*";

    public static string CircleArrow => Utf8 ? "↻" : "*";

    public static string Multiplication => Utf8 ? "×" : "x";

    public static string Download => Utf8 ? "⤵" : "\\";

    public static string CheckMark => Utf8 ? "✓" : "+";

    public static string CrossMark => Utf8 ? "✗" : "-";

    private static bool DetectUtf8()
    {
        var value = Environment.GetEnvironmentVariable("LC_ALL");
        if (string.IsNullOrEmpty(value))
        {
            value = Environment.GetEnvironmentVariable("LC_CTYPE");
        }

        if (string.IsNullOrEmpty(value))
        {
            value = Environment.GetEnvironmentVariable("LANG");
        }

        return value is not null && (value.Contains("UTF-8", StringComparison.OrdinalIgnoreCase) || value.Contains("utf8", StringComparison.OrdinalIgnoreCase));
    }
}
