namespace ImageUpdate.Formats.Versions;

/// <summary>
/// systemd's <c>parse_boolean()</c> (src/basic/parse-util.c): 1/yes/y/true/t/on and 0/no/n/false/f/off,
/// ASCII case-insensitive, nothing else (no whitespace, no other spelling). The one parser of it:
/// definitions (sysupdate.d, features, repart.d), a wildcard's capture (@f, @r, @g) and the command
/// line's --sync=/--verify= all read booleans through it.
/// </summary>
public static class SystemdBoolean
{
    public static bool TryParse(string text, out bool value)
    {
        foreach (var word in (ReadOnlySpan<string>)["1", "yes", "y", "true", "t", "on"])
        {
            if (AsciiEqualsIgnoreCase(text, word))
            {
                value = true;
                return true;
            }
        }

        foreach (var word in (ReadOnlySpan<string>)["0", "no", "n", "false", "f", "off"])
        {
            if (AsciiEqualsIgnoreCase(text, word))
            {
                value = false;
                return true;
            }
        }

        value = false;
        return false;
    }

    // strcaseeq() in the C locale: only A-Z folds (to a-z).
    private static bool AsciiEqualsIgnoreCase(string text, string lowerWord)
    {
        if (text.Length != lowerWord.Length)
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= 'A' and <= 'Z')
            {
                c = (char)(c + ('a' - 'A'));
            }

            if (c != lowerWord[i])
            {
                return false;
            }
        }

        return true;
    }
}
