using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Versions;

/// <summary>
/// The MatchPattern= values of one resource, in order (systemd's pattern_match_many): tried in order,
/// the first pattern that does not answer NoMatch decides (a Match, or a Retry asking the caller to
/// descend into a directory), and the first pattern names new instances.
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
    /// The first pattern that does not answer NoMatch decides, as in systemd's pattern_match_many: so a
    /// Retry from an earlier pattern wins over a Match from a later one.
    /// </summary>
    public PatternMatch Match(string name)
    {
        foreach (var pattern in Patterns)
        {
            var result = pattern.Match(name);
            if (result.Kind != PatternMatchKind.NoMatch)
            {
                return result;
            }
        }

        return PatternMatch.None;
    }

    public override string ToString() => string.Join(' ', Patterns.Select(p => p.Text));
}
