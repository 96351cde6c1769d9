namespace ImageUpdate.Versions;

// CONTRACT STUB: the Versions helper replaces the bodies; the public surface below is what the rest
// of the engine codes against. Keep it (additions are fine).

/// <summary>The result of matching a name against a pattern.</summary>
public enum PatternMatchKind
{
    /// <summary>The name does not match.</summary>
    NoMatch,

    /// <summary>The whole name matches; <see cref="PatternMatch.Metadata"/> holds the captures.</summary>
    Match,

    /// <summary>The name matches up to a '/' element of the pattern: descend into the directory and retry.</summary>
    Retry,
}

/// <summary>Outcome of <see cref="MatchPattern.Match"/>.</summary>
public readonly record struct PatternMatch(PatternMatchKind Kind, InstanceMetadata? Metadata)
{
    public static PatternMatch None => new(PatternMatchKind.NoMatch, null);

    public static PatternMatch Retry => new(PatternMatchKind.Retry, null);
}

/// <summary>One sysupdate.d MatchPattern= (sysupdate.md §1 "Pattern language").</summary>
public sealed class MatchPattern
{
    private MatchPattern(string text) => Text = text;

    /// <summary>The pattern as written (after C-unescaping, before parsing).</summary>
    public string Text { get; }

    /// <summary>Parses and validates; throws <see cref="Errors.PatternException"/> with a one-sentence message.</summary>
    public static MatchPattern Parse(string text) => throw new NotImplementedException();

    /// <summary>Matches a relative name (may contain '/' when the pattern does).</summary>
    public PatternMatch Match(string name) => throw new NotImplementedException();

    /// <summary>Formats a name from metadata; throws <see cref="Errors.PatternException"/> when a wildcard has no value.</summary>
    public string Format(InstanceMetadata metadata) => throw new NotImplementedException();

    /// <summary>True when the pattern contains the wildcard (e.g. 'l' for @l).</summary>
    public bool HasWildcard(char wildcard) => throw new NotImplementedException();

    /// <summary>True when the pattern contains a '/' (instances live in subdirectories).</summary>
    public bool HasSlash => throw new NotImplementedException();

    public override string ToString() => Text;
}
