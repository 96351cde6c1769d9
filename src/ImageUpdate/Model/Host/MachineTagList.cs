namespace ImageUpdate.Model.Host;

/// <summary>
/// The TAGS= field of machine-info(5) (systemd 261), read gracefully as ConditionMachineTag= reads it:
/// colon-separated tags of ASCII letters, digits, '-', '.' and '='; not starting with '-', '.' or '=';
/// the key (up to the first '=') not ending in '-' or '.'. Invalid tags are dropped, and so is every
/// value of a key given more than one distinct value; the rest sorted, duplicates removed.
/// </summary>
public static class MachineTagList
{
    public static IReadOnlyList<string> Parse(string? tags)
    {
        if (string.IsNullOrEmpty(tags))
        {
            return [];
        }

        var valid = tags.Split(':', StringSplitOptions.RemoveEmptyEntries).Where(IsValid).Distinct(StringComparer.Ordinal).ToList();
        var conflicting = valid.Where(t => t.Contains('=')).GroupBy(t => t[..t.IndexOf('=')], StringComparer.Ordinal)
            .Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        return valid.Where(t => !t.Contains('=') || !conflicting.Contains(t[..t.IndexOf('=')])).Order(StringComparer.Ordinal).ToList();
    }

    public static bool IsValid(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (tag.Length is 0 or > 255 || tag[0] is '-' or '.' or '=' || !tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '='))
        {
            return false;
        }

        var eq = tag.IndexOf('=', StringComparison.Ordinal);
        var key = eq < 0 ? tag : tag[..eq];
        return key[^1] is not ('-' or '.');
    }
}
