using ImageUpdate.Model.Host;

namespace ImageUpdate.Model.Conditions;

/// <summary>
/// Suggest= and SuggestOn*= of a component or feature (systemd 262 component_is_suggested,
/// feature_is_suggested): Suggest= decides when given; otherwise the SuggestOn*= list does, and an
/// empty list suggests nothing. Null: a condition could not be tested (262 shows "-" and skips it).
/// </summary>
public sealed record Suggestion(bool? Suggest, IReadOnlyList<Condition> SuggestOn)
{
    public static Suggestion None { get; } = new(null, []);

    public bool? IsSuggested(Func<SystemFacts> facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (Suggest is { } explicitly)
        {
            return explicitly;
        }

        return SuggestOn.Count == 0 ? false : ConditionEvaluator.Evaluate(SuggestOn, facts());
    }
}
