using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Model.Conditions;

/// <summary>
/// systemd's parse_compare_operator and version_or_fnmatch_compare (src/basic/compare-operator.c):
/// the operators of ConditionVersion= and ConditionOSRelease=.
/// </summary>
public static class CompareOperator
{
    public enum Kind
    {
        FnmatchEqual,
        FnmatchUnequal,
        Lower,
        LowerOrEqual,
        Equal,
        GreaterOrEqual,
        Greater,
        Unequal,
        StringEqual,
        StringUnequal,
    }

    // Longest first, as the table is searched in order and "<" would take "<=".
    private static readonly (string Text, Kind Kind)[] Table =
    [
        ("$=", Kind.FnmatchEqual), ("!$=", Kind.FnmatchUnequal), ("<=", Kind.LowerOrEqual), (">=", Kind.GreaterOrEqual),
        ("<", Kind.Lower), (">", Kind.Greater), ("==", Kind.Equal), ("=", Kind.Equal), ("!=", Kind.Unequal),
    ];

    /// <summary>The operator at the start of <paramref name="text"/> (leading whitespace skipped) and what follows it, trimmed.</summary>
    public static (Kind? Operator, string Remainder) Parse(string text, bool allowFnmatch, bool equalByString)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.TrimStart();
        foreach (var (op, kind) in Table)
        {
            if (!s.StartsWith(op, StringComparison.Ordinal))
            {
                continue;
            }

            if (!allowFnmatch && kind is Kind.FnmatchEqual or Kind.FnmatchUnequal)
            {
                continue;
            }

            var resolved = equalByString ? kind switch { Kind.Equal => Kind.StringEqual, Kind.Unequal => Kind.StringUnequal, _ => kind } : kind;
            return (resolved, s[op.Length..].Trim());
        }

        return (null, s);
    }

    public static bool Holds(Kind op, string actual, string wanted)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(wanted);
        return op switch
        {
            Kind.FnmatchEqual => FnMatch.IsMatch(wanted, actual),
            Kind.FnmatchUnequal => !FnMatch.IsMatch(wanted, actual),
            Kind.StringEqual => actual == wanted,
            Kind.StringUnequal => actual != wanted,
            _ => Order(op, VersionComparer.CompareVersions(actual, wanted)),
        };
    }

    private static bool Order(Kind op, int order) => op switch
    {
        Kind.Lower => order < 0,
        Kind.LowerOrEqual => order <= 0,
        Kind.Equal => order == 0,
        Kind.GreaterOrEqual => order >= 0,
        Kind.Greater => order > 0,
        _ => order != 0,
    };
}
