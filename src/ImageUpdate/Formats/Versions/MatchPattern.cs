using System.Globalization;
using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Versions;

/// <summary>
/// One sysupdate.d MatchPattern= (sysupdate.md §1 "Pattern language"; systemd
/// src/sysupdate/sysupdate-pattern.c): literals, '/' separators and the wildcards
/// <c>@v @u @f @a @g @r @t @m @s @d @l @h</c>, with <c>@@</c> for a literal '@'.
/// </summary>
/// <remarks>
/// Matching follows systemd: a literal must match exactly at the current position; a wildcard
/// captures up to the first occurrence of the next literal, or up to the next '/' when a '/' follows
/// it, or to the end; each capture must parse as its wildcard's type; the whole name must be consumed
/// (systemd #41899, fixing #38605: <c>linux-@v.erofs</c> does not match <c>linux-1.erofs.caibx</c>);
/// and when the name ends where the pattern expects a '/', the answer is Retry.
/// </remarks>
public sealed class MatchPattern
{
    /// <summary>The prefix that makes a pattern match the trailing components of a name at any depth.</summary>
    public const string AnyDepthPrefix = "**/";

    private readonly PatternElement[] _elements;

    private MatchPattern(string text, bool anyDepth, PatternElement[] elements)
    {
        Text = text;
        AnyDepth = anyDepth;
        _elements = elements;
    }

    /// <summary>The pattern as written (after C-unescaping, before parsing), including any "**/" prefix.</summary>
    public string Text { get; }

    /// <summary>
    /// True for a pattern written with the <see cref="AnyDepthPrefix"/> (sysupdate.md: "a **/ prefix matches
    /// the basename at any depth"): <see cref="Match"/> then looks only at the last components of the name
    /// (as many as the rest of the pattern has), and the caller is expected to search subdirectories.
    /// </summary>
    public bool AnyDepth { get; }

    /// <summary>True when the pattern (after any "**/" prefix) contains a '/' (instances live in subdirectories).</summary>
    public bool HasSlash => Array.Exists(_elements, e => e.Kind == PatternElementKind.Slash);

    /// <summary>How many '/' the pattern (after any "**/" prefix) has, i.e. its depth below the resource path.</summary>
    public int SlashCount => _elements.Count(e => e.Kind == PatternElementKind.Slash);

    /// <summary>The wildcard letters the pattern uses, in order of appearance.</summary>
    public IReadOnlyList<char> Wildcards => [.. _elements.Where(e => e.IsWildcard).Select(e => e.Letter)];

    /// <summary>Parses and validates; throws <see cref="PatternException"/> with a one-sentence message.</summary>
    public static MatchPattern Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            throw new PatternException("The pattern is empty.");
        }

        var anyDepth = text.StartsWith(AnyDepthPrefix, StringComparison.Ordinal);
        var body = anyDepth ? text[AnyDepthPrefix.Length..] : text;
        var elements = Split(text, body);
        CheckPath(text, elements);
        return new MatchPattern(text, anyDepth, elements);
    }

    /// <summary>Whether <paramref name="text"/> is a valid pattern (systemd's <c>pattern_valid</c>, plus the path checks of <see cref="Parse"/>).</summary>
    public static bool IsValid(string text)
    {
        try
        {
            Parse(text);
            return true;
        }
        catch (PatternException)
        {
            return false;
        }
    }

    /// <summary>Matches a relative name (may contain '/' when the pattern does).</summary>
    public PatternMatch Match(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!AnyDepth)
        {
            return MatchWhole(name);
        }

        // No capture can contain a '/' (no wildcard's format admits one, and literals never do), so a
        // pattern with k slashes can only match the last k+1 components of the name.
        var position = name.Length;
        for (var k = 0; k <= SlashCount && position >= 0; k++)
        {
            position = position == 0 ? -1 : name.LastIndexOf('/', position - 1);
        }

        var start = position < 0 ? 0 : position + 1;
        return MatchWhole(start == 0 ? name : name[start..]);
    }

    /// <summary>
    /// Formats a name from metadata, each wildcard in systemd's canonical form (pattern_format): @v as
    /// is, @u as 32 lower-case hex digits, @f lower-case hex, @a/@g/@r as 1 or 0, @t/@s/@d/@l decimal,
    /// @m as %03o, @h as 64 lower-case hex digits. A "**/" prefix is not written. Throws
    /// <see cref="PatternException"/> when a wildcard has no value, a value cannot be written, or the
    /// result would not be a safe relative path.
    /// </summary>
    public string Format(InstanceMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var builder = new StringBuilder();
        foreach (var element in _elements)
        {
            switch (element.Kind)
            {
                case PatternElementKind.Literal:
                    builder.Append(element.Literal);
                    break;
                case PatternElementKind.Slash:
                    builder.Append('/');
                    break;
                case PatternElementKind.Version:
                    var version = metadata.Version ?? throw Missing(element);
                    if (!VersionComparer.IsValid(version))
                    {
                        throw new PatternException(
                            $"Cannot write version '{UntrustedText.Escape(version)}' into pattern '{UntrustedText.Escape(Text)}': it is not a valid version.");
                    }

                    builder.Append(version);
                    break;
                case PatternElementKind.PartitionUuid:
                    builder.Append((metadata.PartitionUuid ?? throw Missing(element)).ToString("N"));
                    break;
                case PatternElementKind.PartitionFlags:
                    builder.Append((metadata.PartitionFlags ?? throw Missing(element)).ToString("x", CultureInfo.InvariantCulture));
                    break;
                case PatternElementKind.NoAuto:
                    builder.Append(OneZero(metadata.NoAuto ?? throw Missing(element)));
                    break;
                case PatternElementKind.GrowFileSystem:
                    builder.Append(OneZero(metadata.GrowFileSystem ?? throw Missing(element)));
                    break;
                case PatternElementKind.ReadOnly:
                    builder.Append(OneZero(metadata.ReadOnly ?? throw Missing(element)));
                    break;
                case PatternElementKind.ModificationTime:
                    builder.Append(Decimal(metadata.ModificationTimeUsec, element));
                    break;
                case PatternElementKind.Size:
                    builder.Append(Decimal(metadata.Size, element));
                    break;
                case PatternElementKind.TriesDone:
                    builder.Append(Decimal(metadata.TriesDone, element));
                    break;
                case PatternElementKind.TriesLeft:
                    builder.Append(Decimal(metadata.TriesLeft, element));
                    break;
                case PatternElementKind.Mode:
                    var mode = metadata.Mode ?? throw Missing(element);
                    if (mode > 0xFFF)
                    {
                        throw new PatternException(
                            $"Cannot write mode {Convert.ToString(mode, 8)} into pattern '{UntrustedText.Escape(Text)}': it is not a file mode.");
                    }

                    builder.Append(Convert.ToString(mode, 8).PadLeft(3, '0'));
                    break;
                case PatternElementKind.Sha256:
                    var hash = metadata.Sha256 ?? throw Missing(element);
                    if (!SystemdValueParsers.TryParseSha256(hash, out var lowerHex))
                    {
                        throw new PatternException(
                            $"Cannot write '{UntrustedText.Escape(hash)}' into pattern '{UntrustedText.Escape(Text)}': it is not a SHA-256 in hex.");
                    }

                    builder.Append(lowerHex);
                    break;
                default:
                    throw new InvalidOperationException($"Unexpected pattern element {element.Kind}.");
            }
        }

        var name = builder.ToString();

        // The name becomes a path below the target directory: a value must not be able to climb out of
        // it or into a surprising place (systemd relies on the version charset for this; we check).
        foreach (var component in name.Split('/'))
        {
            if (component is "" or "." or "..")
            {
                throw new PatternException(
                    $"Pattern '{UntrustedText.Escape(Text)}' formats to '{UntrustedText.Escape(name)}', which is not a safe relative path.");
            }
        }

        return name;
    }

    /// <summary>True when the pattern contains the wildcard (e.g. 'l' for @l).</summary>
    public bool HasWildcard(char wildcard)
    {
        var kind = PatternElement.FromLetter(wildcard);
        return kind is not null && Array.Exists(_elements, e => e.Kind == kind);
    }

    public override string ToString() => Text;

    private static PatternElement[] Split(string text, string body)
    {
        var elements = new List<PatternElement>();
        var literal = new StringBuilder();
        var found = new HashSet<PatternElementKind>();
        bool at = false, lastLiteral = true, lastSlash = false;
        char? lastWildcard = null;

        void FlushLiteral()
        {
            if (literal.Length > 0)
            {
                elements.Add(new PatternElement(PatternElementKind.Literal, literal.ToString()));
                literal.Clear();
            }
        }

        foreach (var c in body)
        {
            if (c == '@')
            {
                if (!at)
                {
                    at = true;
                    continue;
                }

                // "@@" is a literal '@', handled below like any other literal character.
                at = false;
            }
            else if (at)
            {
                var kind = PatternElement.FromLetter(c)
                    ?? throw new PatternException($"'@{UntrustedText.Escape(c.ToString())}' is not a wildcard in pattern '{UntrustedText.Escape(text)}'.");
                if (!found.Add(kind))
                {
                    throw new PatternException($"Wildcard '@{c}' appears twice in pattern '{UntrustedText.Escape(text)}'.");
                }

                // A capture ends where the next literal (or '/') begins, so two wildcards in a row
                // could not be told apart.
                if (!lastLiteral && !lastSlash)
                {
                    throw new PatternException(
                        $"Wildcards '@{lastWildcard}' and '@{c}' need a literal or '/' between them in pattern '{UntrustedText.Escape(text)}'.");
                }

                FlushLiteral();
                elements.Add(PatternElement.Wildcard(kind));
                lastWildcard = c;
                lastLiteral = lastSlash = at = false;
                continue;
            }

            if (c == '/')
            {
                FlushLiteral();
                elements.Add(new PatternElement(PatternElementKind.Slash, string.Empty));
                lastLiteral = false;
                lastSlash = true;
                continue;
            }

            if (!IsValidLiteralChar(c))
            {
                throw new PatternException(
                    $"Character '{UntrustedText.Escape(c.ToString())}' is not allowed in pattern '{UntrustedText.Escape(text)}'.");
            }

            literal.Append(c);
            lastLiteral = true;
            lastSlash = false;
        }

        if (at)
        {
            throw new PatternException($"Pattern '{UntrustedText.Escape(text)}' ends in a lone '@' (write '@@' for a literal '@').");
        }

        if (!found.Contains(PatternElementKind.Version))
        {
            throw new PatternException($"Pattern '{UntrustedText.Escape(text)}' lacks the mandatory '@v' wildcard.");
        }

        FlushLiteral();
        return [.. elements];
    }

    // Stricter than systemd, which accepts these but can never match them sensibly: the pattern is
    // also a path relative to the resource directory, so its '/'-separated components must be
    // non-empty and not "." or "..".
    private static void CheckPath(string text, PatternElement[] elements)
    {
        var componentStart = 0;
        for (var i = 0; i <= elements.Length; i++)
        {
            if (i < elements.Length && elements[i].Kind != PatternElementKind.Slash)
            {
                continue;
            }

            var length = i - componentStart;
            var bad = length == 0
                || (length == 1 && elements[componentStart] is { Kind: PatternElementKind.Literal, Literal: "." or ".." });
            if (bad)
            {
                throw new PatternException(
                    $"Pattern '{UntrustedText.Escape(text)}' is not a valid relative path: it has an empty, '.' or '..' component.");
            }

            componentStart = i + 1;
        }
    }

    // systemd's valid_char(): no control characters, nothing from 0x7f up, and a few characters
    // reserved for a future glob syntax.
    private static bool IsValidLiteralChar(char c) =>
        c is >= ' ' and < (char)0x7f and not ('$' or '*' or '?' or '[' or ']' or '!' or '\\' or '|');

    private PatternMatch MatchWhole(string name)
    {
        var found = new InstanceMetadata();
        var p = 0;
        for (var i = 0; i < _elements.Length; i++)
        {
            var element = _elements[i];
            switch (element.Kind)
            {
                case PatternElementKind.Slash:
                    if (p == name.Length)
                    {
                        return PatternMatch.Retry;
                    }

                    if (name[p] != '/')
                    {
                        return PatternMatch.None;
                    }

                    p++;
                    continue;

                case PatternElementKind.Literal:
                    if (!name.AsSpan(p).StartsWith(element.Literal, StringComparison.Ordinal))
                    {
                        return PatternMatch.None;
                    }

                    p += element.Literal.Length;
                    continue;
            }

            // A wildcard: non-greedy up to the next literal, or up to the next '/', or to the end.
            int end;
            if (i + 1 == _elements.Length)
            {
                end = name.Length;
            }
            else if (_elements[i + 1].Kind == PatternElementKind.Slash)
            {
                end = name.IndexOf('/', p);
                if (end < 0)
                {
                    end = name.Length;
                }
            }
            else
            {
                end = name.IndexOf(_elements[i + 1].Literal, p, StringComparison.Ordinal);
                if (end < 0)
                {
                    return PatternMatch.None;
                }
            }

            var capture = name[p..end];
            var updated = Capture(found, element.Kind, capture);
            if (updated is null)
            {
                return PatternMatch.None;
            }

            found = updated;
            p = end;
        }

        return p == name.Length ? new PatternMatch(PatternMatchKind.Match, found) : PatternMatch.None;
    }

    // Parses one capture as sysupdate does; null means the capture is not of the wildcard's format.
    private static InstanceMetadata? Capture(InstanceMetadata found, PatternElementKind kind, string capture)
    {
        switch (kind)
        {
            case PatternElementKind.Version:
                return VersionComparer.IsValid(capture) ? found with { Version = capture } : null;
            case PatternElementKind.PartitionUuid:
                return SystemdValueParsers.TryParseId128(capture, out var uuid) ? found with { PartitionUuid = uuid } : null;
            case PatternElementKind.PartitionFlags:
                return SystemdValueParsers.TryParseHexUInt64(capture, out var flags) ? found with { PartitionFlags = flags } : null;
            case PatternElementKind.ModificationTime:
                // USEC_INFINITY is systemd's "unset"; it must also fit a timespec (always true for a u64 / 10^6).
                return SystemdValueParsers.TryParseUInt64(capture, out var usec) && usec != ulong.MaxValue
                    ? found with { ModificationTimeUsec = usec }
                    : null;
            case PatternElementKind.Mode:
                // No world-writable, setuid, setgid or sticky files may be produced this way.
                return SystemdValueParsers.TryParseMode(capture, out var mode) && (mode & ~0x1FDu) == 0
                    ? found with { Mode = mode }
                    : null;
            case PatternElementKind.Size:
                return TryCounter(capture, out var size) ? found with { Size = size } : null;
            case PatternElementKind.TriesDone:
                return TryCounter(capture, out var done) ? found with { TriesDone = done } : null;
            case PatternElementKind.TriesLeft:
                return TryCounter(capture, out var left) ? found with { TriesLeft = left } : null;
            case PatternElementKind.NoAuto:
                return SystemdBoolean.TryParse(capture, out var noAuto) ? found with { NoAuto = noAuto } : null;
            case PatternElementKind.ReadOnly:
                return SystemdBoolean.TryParse(capture, out var readOnly) ? found with { ReadOnly = readOnly } : null;
            case PatternElementKind.GrowFileSystem:
                return SystemdBoolean.TryParse(capture, out var grow) ? found with { GrowFileSystem = grow } : null;
            case PatternElementKind.Sha256:
                return SystemdValueParsers.TryParseSha256(capture, out var hash) ? found with { Sha256 = hash } : null;
            default:
                throw new InvalidOperationException($"Unexpected pattern element {kind}.");
        }
    }

    // UINT64_MAX is systemd's "unset" for sizes and counters, so it never matches.
    private static bool TryCounter(string capture, out ulong value) =>
        SystemdValueParsers.TryParseUInt64(capture, out value) && value != ulong.MaxValue;

    private static string OneZero(bool value) => value ? "1" : "0";

    private string Decimal(ulong? value, PatternElement element)
    {
        // UINT64_MAX is systemd's "unset" marker for these fields: writing it could never match back.
        if (value is null or ulong.MaxValue)
        {
            throw Missing(element);
        }

        return value.Value.ToString(CultureInfo.InvariantCulture);
    }

    private PatternException Missing(PatternElement element) =>
        new($"Pattern '{UntrustedText.Escape(Text)}' needs a value for '@{element.Letter}' ({Describe(element.Kind)}), but none is set.");

    private static string Describe(PatternElementKind kind) => kind switch
    {
        PatternElementKind.Version => "version",
        PatternElementKind.PartitionUuid => "partition UUID",
        PatternElementKind.PartitionFlags => "partition flags",
        PatternElementKind.ModificationTime => "modification time",
        PatternElementKind.Mode => "file mode",
        PatternElementKind.Size => "size",
        PatternElementKind.TriesDone => "tries done",
        PatternElementKind.TriesLeft => "tries left",
        PatternElementKind.NoAuto => "no-auto flag",
        PatternElementKind.ReadOnly => "read-only flag",
        PatternElementKind.GrowFileSystem => "grow-file-system flag",
        PatternElementKind.Sha256 => "SHA-256",
        _ => kind.ToString(),
    };
}
