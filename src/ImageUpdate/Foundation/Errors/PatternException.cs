namespace ImageUpdate.Foundation.Errors;

/// <summary>A MatchPattern= value is malformed, or a value cannot be formatted into a pattern.</summary>
public sealed class PatternException : ImageUpdateException
{
    public PatternException(string message) : base(message) { }
}
