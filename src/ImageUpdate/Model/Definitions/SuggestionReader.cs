using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Conditions;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// Reads Suggest= (a tri-state boolean) and the SuggestOn*= family into a <see cref="Suggestion"/>, as
/// 262's config_parse_tristate and config_parse_condition do: '|' makes a trigger and '!' negates (each
/// may be followed by whitespace), specifiers are expanded, an empty value drops the earlier
/// assignments of that family. A bad value only decides a hint, so it is logged and dropped.
/// </summary>
internal sealed class SuggestionReader(SpecifierContext specifiers, DefinitionDiagnostics diagnostics)
{
    private readonly List<Condition> _conditions = [];
    private bool? _suggest;

    public Suggestion Result => new(_suggest, [.. _conditions]);

    /// <summary>Takes the assignment when it is one of the family's keys.</summary>
    public bool TryRead(UnitFileAssignment a)
    {
        if (a.Key == "Suggest")
        {
            if (a.Value.Length == 0)
            {
                _suggest = null;
            }
            else if (SystemdBoolean.TryParse(a.Value, out var suggest))
            {
                _suggest = suggest;
            }
            else
            {
                diagnostics.Warn(a.File, a.Line, a.Key, $"Failed to parse boolean value, ignoring: {UntrustedText.Escape(a.Value)}", WarningKind.Informational);
            }

            return true;
        }

        if (!a.Key.StartsWith("SuggestOn", StringComparison.Ordinal) || !Enum.TryParse<ConditionKind>(a.Key["SuggestOn".Length..], out var kind)
            || a.Key != "SuggestOn" + kind)
        {
            return false;
        }

        if (a.Value.Length == 0)
        {
            _conditions.RemoveAll(c => c.Kind == kind);
            return true;
        }

        var value = a.Value;
        var trigger = value.StartsWith('|');
        if (trigger)
        {
            value = value[1..].TrimStart(' ', '\t', '\n', '\r');
        }

        var negate = value.StartsWith('!');
        if (negate)
        {
            value = value[1..].TrimStart(' ', '\t', '\n', '\r');
        }

        if (!Specifiers.TryExpand(value, int.MaxValue, specifiers, out var resolved, out _))
        {
            diagnostics.Warn(a.File, a.Line, a.Key, $"Failed to expand specifiers in {a.Key}=, ignoring: {UntrustedText.Escape(a.Value)}", WarningKind.Informational);
            return true;
        }

        _conditions.Add(new Condition(kind, resolved, trigger, negate));
        return true;
    }
}
