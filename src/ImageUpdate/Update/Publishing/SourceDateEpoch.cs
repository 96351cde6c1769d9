using System.Globalization;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Update.Publishing;

/// <summary>
/// SOURCE_DATE_EPOCH (reproducible-builds.org/specs/source-date-epoch): a decimal count of seconds
/// since 1970-01-01 UTC that build tools use instead of the current time. The one parser of it:
/// `publish` dates the signature with it, `build-image` every time stamp in the image
/// (<see cref="Imaging.DiskImageOptions.ParseSourceDateEpoch"/>, which adds FAT's lower bound).
/// </summary>
public static class SourceDateEpoch
{
    public const string Variable = "SOURCE_DATE_EPOCH";

    /// <summary>
    /// The latest time accepted: what fits OpenPGP's four-byte signature time (RFC 4880 §3.5), which
    /// is also within FAT's range (to 2107).
    /// </summary>
    public const long MaxSeconds = uint.MaxValue;

    /// <summary>
    /// Reads a value: true with null when it is unset or empty, true with the time when it is a decimal
    /// number of seconds from 0 to <see cref="MaxSeconds"/>, false otherwise.
    /// </summary>
    public static bool TryParse(string? value, out DateTimeOffset? time)
    {
        time = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        // The spec: "an ASCII representation of an integer with no fractional component"; refuse
        // anything else rather than stamp a guessed time.
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > MaxSeconds)
        {
            return false;
        }

        time = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return true;
    }

    /// <summary>The time the variable's value gives; null when it is unset or empty.</summary>
    /// <exception cref="UsageException">The value is not a non-negative decimal number of seconds up to <see cref="MaxSeconds"/>.</exception>
    public static DateTimeOffset? Parse(string? value) =>
        TryParse(value, out var time) ? time
        : throw new UsageException($"{Variable}=\"{UntrustedText.Escape(value!)}\" is not a number of seconds since 1970.");
}
