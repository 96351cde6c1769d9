namespace ImageUpdate.Model.Conditions;

/// <summary>
/// One SuggestOn*= assignment as 262's config_parse_condition keeps it: a leading '|' makes it a
/// trigger (any one trigger suffices), a following '!' negates it; the parameter has its specifiers
/// expanded.
/// </summary>
public sealed record Condition(ConditionKind Kind, string Parameter, bool Trigger, bool Negate)
{
    /// <summary>The key that names this family in a component or feature file.</summary>
    public string Key => "SuggestOn" + Kind;
}
