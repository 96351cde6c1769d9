namespace ImageUpdate.Versions;

// CONTRACT STUB: the Versions helper replaces the bodies.

/// <summary>
/// The MatchPattern= values of one resource, in order: tried in order, the first match wins, and the
/// first pattern names new instances.
/// </summary>
public sealed class PatternList
{
    public PatternList(IReadOnlyList<MatchPattern> patterns) => Patterns = patterns;

    public IReadOnlyList<MatchPattern> Patterns { get; }

    /// <summary>The pattern used to name new instances.</summary>
    public MatchPattern First => Patterns[0];

    /// <summary>First Match wins; else Retry if any pattern asked for it; else NoMatch.</summary>
    public PatternMatch Match(string name) => throw new NotImplementedException();

    public override string ToString() => string.Join(' ', Patterns.Select(p => p.Text));
}
