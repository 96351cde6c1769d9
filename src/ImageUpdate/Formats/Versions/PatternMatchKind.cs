namespace ImageUpdate.Formats.Versions;

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
