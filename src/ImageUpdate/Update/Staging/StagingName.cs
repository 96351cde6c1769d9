using System.Text.Unicode;

namespace ImageUpdate.Update.Staging;

/// <summary>
/// The names a staged update may use, checked on the raw bytes getdents returned: a letter or digit
/// first (so no option-like '-' and no hidden '.'), then only [A-Za-z0-9._+~^,-], not ending in '.'
/// (Spectrum's rule, which keeps "x." from aliasing "x" on file systems that strip it), at most
/// NAME_MAX bytes. This is a superset of what sysupdate's patterns produce for file sources
/// (versions use [A-Za-z0-9.~^_+-], sysupdate.d(5)) and of Qubes' RPM name set.
/// </summary>
public static class StagingName
{
    /// <summary>NAME_MAX (limits.h): no Linux file system stores a longer name.</summary>
    public const int MaxBytes = 255;

    /// <summary>The characters after the first, as the refusal quotes them.</summary>
    public const string AllowedCharacters = "A-Z a-z 0-9 . _ + ~ ^ , -";

    /// <summary>Null when <paramref name="name"/> is acceptable; otherwise what is wrong, as the end of a sentence.</summary>
    public static string? Check(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty)
        {
            return "has an empty name";
        }

        if (name.Length > MaxBytes)
        {
            return $"has a name of {name.Length} bytes, more than {MaxBytes}";
        }

        if (!Utf8.IsValid(name))
        {
            return "has a name that is not valid UTF-8";
        }

        if (name.IndexOfAnyInRange((byte)0x00, (byte)0x1f) >= 0 || name.Contains((byte)0x7f))
        {
            return "has a name with a control character";
        }

        if (!IsLetterOrDigit(name[0]))
        {
            return "has a name that does not start with a letter or a digit";
        }

        foreach (var b in name)
        {
            if (!IsLetterOrDigit(b) && b is not ((byte)'.' or (byte)'_' or (byte)'+' or (byte)'~' or (byte)'^' or (byte)',' or (byte)'-'))
            {
                return $"has a name with a character outside {AllowedCharacters}";
            }
        }

        if (name[^1] == (byte)'.')
        {
            return "has a name that ends in '.'";
        }

        return null;
    }

    private static bool IsLetterOrDigit(byte b) => b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9');
}
