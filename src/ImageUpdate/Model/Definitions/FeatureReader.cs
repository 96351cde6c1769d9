using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// Reads one *.feature file and its drop-ins (sysupdate-feature.c feature_read_definition): [Feature]
/// Description= (a plain string), Documentation= (http(s) URLs, each assignment adds one, as in 262)
/// and AppStream= (one), specifiers expanded, empty resets; Enabled= (a boolean, default no);
/// Suggest= and SuggestOn*= (262).
/// </summary>
internal static class FeatureReader
{
    private static readonly string[] Sections = ["Feature"];

    public static FeatureDefinition Read(
        string name, ConfFile mainFile, IReadOnlyList<ConfFile> dropIns, SpecifierContext specifiers, DefinitionDiagnostics diagnostics)
    {
        string? description = null, appStream = null;
        var documentation = new List<string>();
        var enabled = false;
        var suggestion = new SuggestionReader(specifiers, diagnostics);
        foreach (var file in dropIns.Prepend(mainFile))
        {
            foreach (var a in UnitFileReader.Read(file.ReadPath, file.Path, Sections, diagnostics.Warn))
            {
                switch (a.Key)
                {
                    case "Description":
                        description = a.Value.Length == 0 ? null : a.Value;
                        break;
                    case "Documentation":
                        if (a.Value.Length == 0)
                        {
                            documentation.Clear();
                        }
                        else if (TransferReader.InformationalUrl(a, specifiers, diagnostics) is { } url)
                        {
                            documentation.Add(url);
                        }

                        break;
                    case "AppStream":
                        ParseUrl(a, ref appStream, specifiers, diagnostics);
                        break;
                    case "Enabled":
                        if (SystemdBoolean.TryParse(a.Value, out var value))
                        {
                            enabled = value;
                        }
                        else
                        {
                            diagnostics.Warn(a.File, a.Line, a.Key, $"Failed to parse boolean value '{UntrustedText.Escape(a.Value)}', ignoring.");
                        }

                        break;
                    default:
                        if (!suggestion.TryRead(a) && !a.Key.StartsWith("X-", StringComparison.Ordinal))
                        {
                            diagnostics.Warn(a.File, a.Line, a.Key, "Unknown key in section [Feature], ignoring.", WarningKind.UnknownName);
                        }

                        break;
                }
            }
        }

        return new FeatureDefinition(name, mainFile.Path, description, documentation, appStream, enabled, Masked: false)
        {
            Suggestion = suggestion.Result,
        };
    }

    // config_parse_url_specifiers: only describes the feature, so a bad value is dropped, never an error.
    private static void ParseUrl(UnitFileAssignment a, ref string? url, SpecifierContext specifiers, DefinitionDiagnostics diagnostics)
    {
        if (a.Value.Length == 0)
        {
            url = null;
            return;
        }

        if (TransferReader.InformationalUrl(a, specifiers, diagnostics) is { } resolved)
        {
            url = resolved;
        }
    }
}
