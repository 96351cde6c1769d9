namespace ImageUpdate.Formats.Versions;

/// <summary>Outcome of <see cref="MatchPattern.Match"/>: <see cref="Metadata"/> is set only for a match.</summary>
public readonly record struct PatternMatch(PatternMatchKind Kind, InstanceMetadata? Metadata)
{
    public static PatternMatch None => new(PatternMatchKind.NoMatch, null);

    public static PatternMatch Retry => new(PatternMatchKind.Retry, null);

    public bool IsMatch => Kind == PatternMatchKind.Match;
}
