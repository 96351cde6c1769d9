using System.Text;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// systemd's specifier_printf with the system_and_tmp_specifier_table sysupdate uses
/// (src/shared/specifier.c): %a %A %b %B %H %l %m %M %o %v %w %W %T %V and %%.
/// </summary>
/// <remarks>
/// Semantics kept from systemd: an unknown letter or digit after '%' fails the expansion (EBADSLT);
/// '%' before any other character, and a trailing '%', stay literal; an os-release field that is
/// not set expands to nothing, but a missing os-release file or machine-id fails (EUNATCH); the
/// result may not exceed a byte limit (ENAMETOOLONG). sysupdate then ignores the whole assignment
/// with a warning; it never fails the file for it.
/// </remarks>
public static class Specifiers
{
    /// <summary>The specifier letters systemd-sysupdate knows.</summary>
    public const string Known = "aAbBHlmMovwWTV";

    /// <summary>Expands <paramref name="text"/>; on failure returns false and a short reason (a phrase, no full stop).</summary>
    public static bool TryExpand(string text, int maxBytes, SpecifierContext context, out string result, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(context);
        var builder = new StringBuilder(text.Length);
        result = string.Empty;
        error = string.Empty;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                builder.Append(c);
            }
            else if (i + 1 == text.Length)
            {
                builder.Append('%');
            }
            else
            {
                var letter = text[++i];
                if (letter == '%')
                {
                    builder.Append('%');
                }
                else if (Known.Contains(letter, StringComparison.Ordinal))
                {
                    if (!TryLookup(letter, context, out var value, out error))
                    {
                        return false;
                    }

                    builder.Append(value);
                }
                else if (char.IsAsciiLetterOrDigit(letter))
                {
                    error = $"unknown specifier '%{letter}'";
                    return false;
                }
                else
                {
                    builder.Append('%').Append(letter);
                }
            }
        }

        var expanded = builder.ToString();
        if (ConfigValues.ByteCount(expanded) > maxBytes)
        {
            error = $"longer than {maxBytes} bytes once expanded";
            return false;
        }

        result = expanded;
        return true;
    }

    private static bool TryLookup(char letter, SpecifierContext context, out string value, out string error)
    {
        error = string.Empty;
        string? found;
        switch (letter)
        {
            case 'a':
                found = context.Host.Architecture;
                break;
            case 'b':
                found = context.Host.BootId;
                if (found is null)
                {
                    error = "no boot ID for '%b'";
                }

                break;
            case 'H':
                found = context.Host.Hostname;
                break;
            case 'l':
                found = context.Host.ShortHostname;
                break;
            case 'm':
                found = context.Host.MachineId;
                if (found is null)
                {
                    error = "no valid etc/machine-id for '%m'";
                }

                break;
            case 'v':
                found = context.Host.KernelRelease;
                if (found is null)
                {
                    error = "no kernel release for '%v'";
                }

                break;
            case 'T':
                found = context.RootGiven ? "/tmp" : context.Host.TmpDirectory;
                break;
            case 'V':
                found = context.RootGiven ? "/var/tmp" : context.Host.VarTmpDirectory;
                break;
            default:
                var field = letter switch
                {
                    'A' => "IMAGE_VERSION",
                    'B' => "BUILD_ID",
                    'M' => "IMAGE_ID",
                    'o' => "ID",
                    'w' => "VERSION_ID",
                    _ => "VARIANT_ID",
                };
                var osRelease = context.OsRelease;
                if (osRelease is null)
                {
                    error = $"no os-release file for '%{letter}' ({field})";
                    found = null;
                }
                else
                {
                    // A field that is not set is not an error: it expands to nothing.
                    found = osRelease[field] ?? string.Empty;
                }

                break;
        }

        value = found ?? string.Empty;
        return found is not null;
    }
}
