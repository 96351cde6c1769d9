using System.Globalization;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// A boot entry's file name split around its boot counter (systemd.io/AUTOMATIC_BOOT_ASSESSMENT):
/// PREFIX+LEFT[-DONE]SUFFIX, where the counter is the last '+' followed by digits. As
/// systemd-bless-boot reads it, whatever follows the digits is the suffix ("+3junk.efi" counts 3 tries
/// with suffix "junk.efi"). A name without a counter splits before its extension, so that marking it
/// bad puts "+0" where a counter goes ("os_2.efi" becomes "os_2+0.efi").
/// </summary>
public sealed record BootCounterName
{
    private BootCounterName(string fileName, string prefix, ulong? triesLeft, ulong? triesDone, string suffix)
    {
        FileName = fileName;
        Prefix = prefix;
        TriesLeft = triesLeft;
        TriesDone = triesDone;
        Suffix = suffix;
    }

    /// <summary>The name exactly as given.</summary>
    public string FileName { get; }

    /// <summary>Everything before the '+' of the counter (or before the extension when there is no counter).</summary>
    public string Prefix { get; }

    /// <summary>LEFT, or null when the name has no counter.</summary>
    public ulong? TriesLeft { get; }

    /// <summary>DONE, or null when the counter has no "-DONE" part (or there is no counter).</summary>
    public ulong? TriesDone { get; }

    /// <summary>Everything after the counter (or the extension when there is no counter).</summary>
    public string Suffix { get; }

    public bool HasCounter => TriesLeft is not null;

    /// <summary>
    /// No tries left: the boot loader will not pick it while anything else is bootable
    /// ("bad", or "dirty" while it is the entry being booted).
    /// </summary>
    public bool IsBad => TriesLeft == 0;

    /// <summary>The name a good boot gives the entry: the counter dropped (bless-boot's make_good).</summary>
    public string GoodName => Prefix + Suffix;

    /// <summary>The name a bad boot gives the entry: no tries left, the tries done kept (bless-boot's make_bad).</summary>
    public string BadName => TriesDone is > 0 ? $"{Prefix}+0-{TriesDone.Value.ToString(CultureInfo.InvariantCulture)}{Suffix}" : $"{Prefix}+0{Suffix}";

    /// <summary>
    /// Parses the name of the entry being blessed: a '+' that does not start a valid counter (no digits,
    /// a '-' without digits, a number past 2^64-1) is an error, as systemd-bless-boot refuses it.
    /// </summary>
    public static BootCounterName Parse(string fileName)
    {
        var (name, error) = TryParseCore(fileName);
        return name ?? throw new BootCountingException($"The boot entry name '{UntrustedText.Escape(fileName)}' has a malformed boot counter: {error}.");
    }

    /// <summary>
    /// Parses the name of some other entry: one whose counter is malformed counts as having no counter,
    /// which is how the boot loader treats it.
    /// </summary>
    public static BootCounterName ParseLenient(string fileName) =>
        TryParseCore(fileName).Name ?? Uncounted(fileName);

    /// <summary>PREFIX+LEFT[-DONE]SUFFIX; DONE is written only when given.</summary>
    public static BootCounterName Format(string prefix, ulong triesLeft, ulong? triesDone, string suffix)
    {
        var counter = triesDone is { } done
            ? $"+{triesLeft.ToString(CultureInfo.InvariantCulture)}-{done.ToString(CultureInfo.InvariantCulture)}"
            : $"+{triesLeft.ToString(CultureInfo.InvariantCulture)}";
        return new BootCounterName(prefix + counter + suffix, prefix, triesLeft, triesDone, suffix);
    }

    private static (BootCounterName? Name, string? Error) TryParseCore(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var plus = fileName.LastIndexOf('+');
        if (plus < 0)
        {
            return (Uncounted(fileName), null);
        }

        var position = plus + 1;
        var (left, leftError) = ReadNumber(fileName, ref position, "tries left");
        if (left is null)
        {
            return (null, leftError);
        }

        ulong? done = null;
        if (position < fileName.Length && fileName[position] == '-')
        {
            position++;
            var (value, doneError) = ReadNumber(fileName, ref position, "tries done");
            if (value is null)
            {
                return (null, doneError);
            }

            done = value;
        }

        return (new BootCounterName(fileName, fileName[..plus], left, done, fileName[position..]), null);
    }

    /// <summary>
    /// Decimal digits, as systemd-boot counts (leading zeros allowed: "+03" is 3). systemd-bless-boot
    /// reads a leading zero as octal; the boot loader is the one that decides what boots, so we follow it.
    /// </summary>
    private static (ulong? Value, string? Error) ReadNumber(string text, ref int position, string what)
    {
        var start = position;
        while (position < text.Length && char.IsAsciiDigit(text[position]))
        {
            position++;
        }

        if (position == start)
        {
            return (null, $"the '{what}' counter is empty");
        }

        return ulong.TryParse(text.AsSpan(start, position - start), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? (value, null)
            : (null, $"the '{what}' counter {text[start..position]} is larger than 2^64-1");
    }

    private static BootCounterName Uncounted(string fileName)
    {
        var dot = fileName.LastIndexOf('.');
        return dot <= 0
            ? new BootCounterName(fileName, fileName, null, null, string.Empty)
            : new BootCounterName(fileName, fileName[..dot], null, null, fileName[dot..]);
    }
}
