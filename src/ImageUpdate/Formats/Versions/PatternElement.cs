namespace ImageUpdate.Formats.Versions;

/// <summary>One piece of a parsed pattern: a literal (with its text), a '/', or a wildcard.</summary>
internal readonly record struct PatternElement(PatternElementKind Kind, string Literal)
{
    public bool IsWildcard => Kind is not (PatternElementKind.Literal or PatternElementKind.Slash);

    /// <summary>The letter after '@' that names this wildcard.</summary>
    public char Letter => LetterOf(Kind);

    public static PatternElementKind? FromLetter(char letter) => letter switch
    {
        'v' => PatternElementKind.Version,
        'u' => PatternElementKind.PartitionUuid,
        'f' => PatternElementKind.PartitionFlags,
        't' => PatternElementKind.ModificationTime,
        'm' => PatternElementKind.Mode,
        's' => PatternElementKind.Size,
        'd' => PatternElementKind.TriesDone,
        'l' => PatternElementKind.TriesLeft,
        'a' => PatternElementKind.NoAuto,
        'r' => PatternElementKind.ReadOnly,
        'g' => PatternElementKind.GrowFileSystem,
        'h' => PatternElementKind.Sha256,
        _ => null,
    };

    public static char LetterOf(PatternElementKind kind) => kind switch
    {
        PatternElementKind.Version => 'v',
        PatternElementKind.PartitionUuid => 'u',
        PatternElementKind.PartitionFlags => 'f',
        PatternElementKind.ModificationTime => 't',
        PatternElementKind.Mode => 'm',
        PatternElementKind.Size => 's',
        PatternElementKind.TriesDone => 'd',
        PatternElementKind.TriesLeft => 'l',
        PatternElementKind.NoAuto => 'a',
        PatternElementKind.ReadOnly => 'r',
        PatternElementKind.GrowFileSystem => 'g',
        PatternElementKind.Sha256 => 'h',
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a wildcard."),
    };

    public static PatternElement Wildcard(PatternElementKind kind) => new(kind, string.Empty);
}
