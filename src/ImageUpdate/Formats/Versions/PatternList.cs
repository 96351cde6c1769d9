using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Versions;

/// <summary>
/// The MatchPattern= values of one resource, in order (systemd's pattern_match_many): a Match by any
/// pattern decides, else a Retry asks the caller to descend into a directory (<see cref="Match"/>,
/// <see cref="Descends"/>); the first pattern names new instances.
/// </summary>
public sealed class PatternList
{
    public PatternList(IReadOnlyList<MatchPattern> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        if (patterns.Count == 0)
        {
            throw new ArgumentException("A pattern list needs at least one pattern.", nameof(patterns));
        }

        Patterns = patterns;
    }

    public IReadOnlyList<MatchPattern> Patterns { get; }

    /// <summary>The pattern used to name new instances.</summary>
    public MatchPattern First => Patterns[0];

    /// <summary>True when any pattern contains a '/' (instances may live in subdirectories).</summary>
    public bool HasSlash => Patterns.Any(p => p.HasSlash);

    /// <summary>True when any pattern has the "**/" prefix.</summary>
    public bool AnyDepth => Patterns.Any(p => p.AnyDepth);

    /// <summary>
    /// Parses each pattern text and drops later duplicates, keeping the order (systemd's strv_uniq on
    /// MatchPattern=). Throws <see cref="PatternException"/> for a malformed pattern or an empty list.
    /// </summary>
    public static PatternList Parse(IEnumerable<string> patternTexts)
    {
        ArgumentNullException.ThrowIfNull(patternTexts);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var patterns = new List<MatchPattern>();
        foreach (var text in patternTexts)
        {
            if (seen.Add(text))
            {
                patterns.Add(MatchPattern.Parse(text));
            }
        }

        if (patterns.Count == 0)
        {
            throw new PatternException("No MatchPattern= is given.");
        }

        return new PatternList(patterns);
    }

    /// <summary>
    /// systemd 262's pattern_match_many, in which the order of the patterns does not matter: a full
    /// match by any pattern wins (the first such pattern's captures), else a Retry from any pattern,
    /// else NoMatch. (257 let the first answer that was not NoMatch decide, so a Retry from an earlier
    /// pattern hid a Match from a later one; TEST-72 of 262 installs through such pattern lists.)
    /// </summary>
    public PatternMatch Match(string name)
    {
        var retry = false;
        foreach (var pattern in Patterns)
        {
            var result = pattern.Match(name);
            if (result.Kind == PatternMatchKind.Match)
            {
                return result;
            }

            retry |= result.Kind == PatternMatchKind.Retry;
        }

        return retry ? PatternMatch.Retry : PatternMatch.None;
    }

    /// <summary>
    /// Whether any pattern asks to descend into <paramref name="name"/> (a directory), even when
    /// another pattern matches the name itself (262's "yes and retry": `pack-@v/image.raw pack-@v`
    /// must look inside a directory `pack-2` although `pack-@v` matches its name).
    /// </summary>
    public bool Descends(string name) => Patterns.Any(p => p.Match(name).Kind == PatternMatchKind.Retry);

    public override string ToString() => string.Join(' ', Patterns.Select(p => p.Text));
}
