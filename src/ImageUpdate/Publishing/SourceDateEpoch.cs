using System.Globalization;
using ImageUpdate.Errors;

namespace ImageUpdate.Publishing;

/// <summary>
/// SOURCE_DATE_EPOCH (reproducible-builds.org/specs/source-date-epoch): a decimal count of seconds
/// since 1970-01-01 UTC that build tools use instead of the current time.
/// </summary>
public static class SourceDateEpoch
{
    public const string Variable = "SOURCE_DATE_EPOCH";

    /// <summary>The time the variable's value gives; null when it is unset or empty.</summary>
    /// <exception cref="UsageException">The value is not a non-negative decimal number of seconds.</exception>
    public static DateTimeOffset? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        // The spec: "an ASCII representation of an integer with no fractional component"; refuse
        // anything else rather than sign at a guessed time.
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > uint.MaxValue)
        {
            throw new UsageException($"{Variable}=\"{UntrustedText.Escape(value)}\" is not a number of seconds since 1970.");
        }

        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }
}
