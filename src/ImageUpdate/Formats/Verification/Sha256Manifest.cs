using System.Globalization;
using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verification;

/// <summary>
/// A SHA256SUMS manifest parsed as strictly as systemd-sysupdate does (sysupdate.md §3, systemd
/// src/sysupdate/sysupdate-resource.c, resource_load_from_web). Parse it only after its detached
/// signature has been verified: this class trusts nothing, but it is the signature that makes the
/// hashes worth anything.
/// </summary>
/// <remarks>
/// <para>Line grammar: 64 hex digits (either case), one space, then a space (text mode) or <c>*</c>
/// (binary mode), then a file name, then <c>\n</c>. The whole file must be free of NUL bytes and valid
/// UTF-8, and must end in a newline.</para>
/// <para>File names are plain names or, as systemd 262 accepts them, normalized relative paths like
/// <c>sub/file</c> (fetched from the same subpath of the source, matched by a <c>sub/@v</c> or
/// <c>**/</c> pattern): not empty, not absolute, not <c>.</c> or <c>..</c>, no <c>.</c>, <c>..</c> or
/// empty component, no <c>%</c> anywhere (a URL would decode <c>%2e%2e</c> into <c>..</c>), no control
/// characters (so a CRLF manifest is refused), and not starting with a backslash (sha256sum's marker
/// for an escaped name, which sysupdate does not support). A refused name refuses the whole manifest,
/// as in 262 ("Invalid filename specified at manifest line N, refusing.", exit 1).</para>
/// <para>Duplicates, a decision of ours (sysupdate keeps both lines): the same name listed twice with
/// the same digest is collapsed with a warning; with different digests it is refused, because it
/// would be ambiguous which bytes the signer vouched for.</para>
/// <para>A name <c>BEST-BEFORE-YYYY-MM-DD</c> is a marker, not a file: its date is collected (all
/// markers are honoured, so the earliest wins) and <see cref="CheckFreshness"/> refuses the
/// manifest once that day has begun (00:00 UTC). As in sysupdate, a marker whose date does not parse
/// is warned about and then treated as an ordinary entry, and a marker whose digest is not that of
/// an empty file is warned about and still honoured.</para>
/// </remarks>
public sealed class Sha256Manifest
{
    /// <summary>The variable systemd reads to disable the BEST-BEFORE check ("0" or another false boolean).</summary>
    public const string VerifyFreshnessVariable = "SYSTEMD_SYSUPDATE_VERIFY_FRESHNESS";

    /// <summary>The file name prefix of a freshness marker.</summary>
    public const string BestBeforePrefix = "BEST-BEFORE-";

    private const int DigestHexLength = 64;

    // sysupdate's bound: the digest, the separator space, the mode marker and the newline. An empty
    // name passes it and is then reported as such.
    private const int ShortestLine = DigestHexLength + 1 + 1 + 1;

    private static readonly System.Buffers.SearchValues<byte> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF"u8);

    private const string EmptyFileSha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private readonly Dictionary<string, ManifestEntry> _byName;

    private Sha256Manifest(string origin, List<ManifestEntry> entries, DateOnly? bestBefore, List<string> warnings)
    {
        Origin = origin;
        Entries = entries.AsReadOnly();
        BestBefore = bestBefore;
        Warnings = warnings.AsReadOnly();
        _byName = entries.ToDictionary(e => e.FileName, StringComparer.Ordinal);
    }

    /// <summary>Where the manifest came from (a URL or a path), used in messages.</summary>
    public string Origin { get; }

    /// <summary>The listed files in manifest order, without BEST-BEFORE markers and without repeated lines.</summary>
    public IReadOnlyList<ManifestEntry> Entries { get; }

    /// <summary>The earliest date of all valid BEST-BEFORE markers, or null when there is none.</summary>
    public DateOnly? BestBefore { get; }

    /// <summary>Things sysupdate warns about but accepts, already escaped, for the caller to log.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The entry for <paramref name="fileName"/> (exact, case-sensitive), or null when it is not listed.</summary>
    public ManifestEntry? Find(string fileName) => _byName.GetValueOrDefault(fileName);

    public static Sha256Manifest Parse(ReadOnlySpan<byte> bytes, string origin)
    {
        CheckWholeFile(bytes, origin);

        var entries = new List<ManifestEntry>();
        var warnings = new List<string>();
        var seen = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
        DateOnly? bestBefore = null;
        var lineNumber = 0;
        var rest = bytes;

        while (!rest.IsEmpty)
        {
            lineNumber++;
            var newline = rest.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? ReadOnlySpan<byte>.Empty : rest[(newline + 1)..];

            var entry = ParseLine(line, newline >= 0, origin, lineNumber);

            if (entry.FileName.StartsWith(BestBeforePrefix, StringComparison.Ordinal))
            {
                var date = entry.FileName[BestBeforePrefix.Length..];
                if (DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    if (entry.Sha256 != EmptyFileSha256)
                    {
                        warnings.Add($"{origin}:{lineNumber}: best-before marker \"{UntrustedText.Escape(entry.FileName)}\" lists the digest of a non-empty file, honouring it anyway.");
                    }

                    bestBefore = bestBefore is { } earlier && earlier < day ? earlier : day;
                    continue;
                }

                warnings.Add($"{origin}:{lineNumber}: best-before marker \"{UntrustedText.Escape(entry.FileName)}\" has no valid YYYY-MM-DD date, treating it as an ordinary file.");
            }

            if (seen.TryGetValue(entry.FileName, out var first))
            {
                if (first.Sha256 != entry.Sha256)
                {
                    throw new ManifestException(origin, lineNumber,
                        $"File \"{UntrustedText.Escape(entry.FileName)}\" is listed again with a different digest (first on line {first.Line}), refusing.");
                }

                warnings.Add($"{origin}:{lineNumber}: file \"{UntrustedText.Escape(entry.FileName)}\" is listed twice with the same digest (first on line {first.Line}).");
                continue;
            }

            seen.Add(entry.FileName, entry);
            entries.Add(entry);
        }

        return new Sha256Manifest(origin, entries, bestBefore, warnings);
    }

    /// <summary>
    /// Applies the BEST-BEFORE markers at <paramref name="now"/>. <paramref name="verifyFreshness"/> is
    /// the value of <see cref="VerifyFreshnessVariable"/> (null when unset): only a value systemd reads
    /// as boolean false disables the check; anything unparsable is ignored, as systemd does.
    /// </summary>
    /// <exception cref="ManifestException">A marker's day has begun and the check is not disabled.</exception>
    public ManifestFreshness CheckFreshness(DateTimeOffset now, string? verifyFreshness)
    {
        if (BestBefore is not { } day)
        {
            return ManifestFreshness.NoMarker;
        }

        var deadline = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        if (deadline >= now)
        {
            return ManifestFreshness.Fresh;
        }

        if (ParseSystemdBoolean(verifyFreshness) == false)
        {
            return ManifestFreshness.StaleIgnored;
        }

        var date = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var today = now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        throw new ManifestException(Origin, 0,
            $"The file list is out of date: its best-before date {date} has passed (now {today} UTC), refusing; set {VerifyFreshnessVariable}=0 to ignore this.");
    }

    private static void CheckWholeFile(ReadOnlySpan<byte> bytes, string origin)
    {
        var nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
        {
            throw new ManifestException(origin, LineOf(bytes, nul), "The manifest contains a NUL byte, refusing.");
        }

        var offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                throw new ManifestException(origin, LineOf(bytes, offset),
                    $"The manifest is not valid UTF-8 (byte 0x{bytes[offset]:x2} at offset {offset}), refusing.");
            }

            offset += consumed;
        }
    }

    private static ManifestEntry ParseLine(ReadOnlySpan<byte> line, bool terminated, string origin, int lineNumber)
    {
        if (line.Length + 1 < ShortestLine)
        {
            throw new ManifestException(origin, lineNumber,
                $"Line \"{UntrustedText.Escape(line)}\" is too short for a 64-digit digest, a separator and a file name, refusing.");
        }

        if (line[0] == (byte)'\\')
        {
            throw new ManifestException(origin, lineNumber,
                $"Line \"{UntrustedText.Escape(line)}\" uses a backslash-escaped file name, which is not supported, refusing.");
        }

        // A digest of whole bytes but not 32 of them (up to the first blank, as 262 splits the line) is
        // named by its decoded length, as systemd-sysupdate 262 names it.
        var field = line[..Math.Max(line.IndexOfAny((byte)' ', (byte)'\t'), 0)];
        if (field.Length is > 0 and not DigestHexLength && field.Length % 2 == 0 && !field.ContainsAnyExcept(HexDigits))
        {
            throw new ManifestException(origin, lineNumber,
                $"Manifest hash at line {lineNumber} decoded to {field.Length / 2} bytes, refusing.");
        }

        var hex = line[..DigestHexLength];
        foreach (var b in hex)
        {
            if (!char.IsAsciiHexDigit((char)b))
            {
                throw new ManifestException(origin, lineNumber,
                    $"Digest \"{UntrustedText.Escape(hex)}\" is not 64 hexadecimal digits, refusing.");
            }
        }

        if (line[DigestHexLength] != (byte)' ')
        {
            throw new ManifestException(origin, lineNumber,
                $"Line \"{UntrustedText.Escape(line)}\" lacks the space after the digest, refusing.");
        }

        var mode = line[DigestHexLength + 1];
        if (mode is not ((byte)' ' or (byte)'*'))
        {
            throw new ManifestException(origin, lineNumber,
                $"Line \"{UntrustedText.Escape(line)}\" lacks the binary/text marker (' ' or '*') after the digest, refusing.");
        }

        var name = line[(DigestHexLength + 2)..];
        if (!terminated)
        {
            throw new ManifestException(origin, lineNumber,
                $"The manifest does not end in a newline after \"{UntrustedText.Escape(name)}\" (truncated?), refusing.");
        }

        CheckFileName(name, origin, lineNumber);

        return new ManifestEntry(
            Encoding.UTF8.GetString(name),
            Encoding.ASCII.GetString(hex).ToLowerInvariant(),
            mode == (byte)'*',
            lineNumber);
    }

    private static void CheckFileName(ReadOnlySpan<byte> name, string origin, int lineNumber)
    {
        var quoted = UntrustedText.Escape(name);
        if (name.IsEmpty)
        {
            throw new ManifestException(origin, lineNumber, "The file name is empty, refusing.");
        }

        if (name[0] == (byte)'/')
        {
            throw new ManifestException(origin, lineNumber, $"File name \"{quoted}\" is absolute, refusing.");
        }

        if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
        {
            throw new ManifestException(origin, lineNumber, $"File name \"{quoted}\" is not a file name, refusing.");
        }

        foreach (var b in name)
        {
            if (b < 0x20 || b == 0x7f)
            {
                throw new ManifestException(origin, lineNumber, $"File name \"{quoted}\" contains control characters, refusing.");
            }
        }

        // The name becomes part of a download URL, which the fetcher (curl for systemd, ours for us)
        // percent-decodes: "sub/%2e%2e/x" would climb out of the source after the checks below passed.
        // systemd 262 refuses any '%', as do we.
        if (name.IndexOf((byte)'%') >= 0)
        {
            throw new ManifestException(origin, lineNumber,
                $"Invalid filename \"{quoted}\": it contains a '%', which the download URL would decode (a percent-encoded '..' could leave the source), refusing.");
        }

        if (name.IndexOf((byte)'/') >= 0 && !IsNormalizedRelativePath(name))
        {
            throw new ManifestException(origin, lineNumber,
                $"Invalid filename \"{quoted}\": a path in the manifest must be relative and normalized (no '.', '..' or empty components), refusing.");
        }
    }

    // systemd 262 (path_is_normalized): every component but a trailing empty one (a name may end in
    // '/') is a real name. Such an entry is fetched from the same subpath of the source URL.
    private static bool IsNormalizedRelativePath(ReadOnlySpan<byte> name)
    {
        var body = name[^1] == (byte)'/' ? name[..^1] : name;
        foreach (var range in body.Split((byte)'/'))
        {
            var component = body[range];
            if (component.IsEmpty || component.SequenceEqual("."u8) || component.SequenceEqual(".."u8))
            {
                return false;
            }
        }

        return true;
    }

    private static int LineOf(ReadOnlySpan<byte> bytes, int offset) => bytes[..offset].Count((byte)'\n') + 1;

    // systemd's parse_boolean (src/basic/parse-util.c): null for unset or unparsable.
    private static bool? ParseSystemdBoolean(string? value) => value?.ToLowerInvariant() switch
    {
        "1" or "yes" or "y" or "true" or "t" or "on" => true,
        "0" or "no" or "n" or "false" or "f" or "off" => false,
        _ => null,
    };
}
