using System.Globalization;

namespace ImageUpdate.Model.Conditions;

/// <summary>
/// systemd's parse_permyriad (src/basic/percent-util.c): "N%" with up to two decimals, "N‰" with up
/// to one, or "N‱", at most 100%; and UINT32_SCALE_FROM_PERMYRIAD, the value on a 0..2^32-1 scale
/// rounded to nearest.
/// </summary>
public static class SystemdPermyriad
{
    public const int Whole = 10000;

    public static int? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int? value = text.EndsWith('%') ? Decimal(text[..^1], 2, 100)
            : text.EndsWith('‰') ? Decimal(text[..^1], 1, 10)
            : text.EndsWith('‱') ? Decimal(text[..^1], 0, 1)
            : null;
        return value is >= 0 and <= Whole ? value : null;
    }

    public static uint ScaleToUInt32(int permyriad) =>
        (uint)(((ulong)Math.Clamp(permyriad, 0, Whole) * uint.MaxValue + Whole / 2) / Whole);

    // INTEGER[.DIGITS] with at most `decimals` digits after the point, times `factor` per unit.
    private static int? Decimal(string text, int decimals, int factor)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        if (whole.Length == 0 || !whole.All(char.IsAsciiDigit) || (dot >= 0 && (fraction.Length is 0 || fraction.Length > decimals || !fraction.All(char.IsAsciiDigit))))
        {
            return null;
        }

        if (!int.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out var units) || units > Whole)
        {
            return null;
        }

        var part = 0;
        var scale = factor;
        foreach (var digit in fraction)
        {
            scale /= 10;
            part += (digit - '0') * scale;
        }

        return (units * factor) + part;
    }
}
