using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Conditions;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// The keys a [Component] and a [Feature] section share, read alike as systemd 262 reads them:
/// Description= (a plain string), Documentation= (http(s) URLs, specifiers expanded, each assignment
/// adds one, empty resets), Enabled= (a boolean), Suggest= and SuggestOn*=. A bad value is warned
/// about and dropped: none of these changes what gets written or trusted.
/// </summary>
internal sealed class DescribedSection(string section, bool enabledByDefault, SpecifierContext specifiers, DefinitionDiagnostics diagnostics)
{
    private readonly List<string> _documentation = [];
    private readonly SuggestionReader _suggestion = new(specifiers, diagnostics);

    public string? Description { get; private set; }

    public IReadOnlyList<string> Documentation => _documentation;

    public bool Enabled { get; private set; } = enabledByDefault;

    public Suggestion Suggestion => _suggestion.Result;

    /// <summary>Reads <paramref name="a"/> if it is one of the shared keys; false leaves it to the caller.</summary>
    public bool TryRead(UnitFileAssignment a)
    {
        switch (a.Key)
        {
            case "Description":
                Description = a.Value.Length == 0 ? null : a.Value;
                return true;
            case "Documentation":
                if (a.Value.Length == 0)
                {
                    _documentation.Clear();
                }
                else if (TransferReader.InformationalUrl(a, specifiers, diagnostics) is { } url)
                {
                    _documentation.Add(url);
                }

                return true;
            case "Enabled":
                if (SystemdBoolean.TryParse(a.Value, out var value))
                {
                    Enabled = value;
                }
                else
                {
                    diagnostics.Warn(a.File, a.Line, a.Key, $"Failed to parse boolean value '{UntrustedText.Escape(a.Value)}', ignoring.");
                }

                return true;
            default:
                return _suggestion.TryRead(a);
        }
    }

    /// <summary>A key neither the section nor its caller knows: warned about unless it is an X- extension.</summary>
    public void Unknown(UnitFileAssignment a)
    {
        if (!a.Key.StartsWith("X-", StringComparison.Ordinal))
        {
            diagnostics.Warn(a.File, a.Line, a.Key, $"Unknown key in section [{section}], ignoring.", WarningKind.UnknownName);
        }
    }
}
