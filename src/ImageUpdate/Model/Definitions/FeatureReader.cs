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
        string? appStream = null;
        var keys = new DescribedSection("Feature", enabledByDefault: false, specifiers, diagnostics);
        foreach (var file in dropIns.Prepend(mainFile))
        {
            foreach (var a in UnitFileReader.Read(file.ReadPath, file.Path, Sections, diagnostics.Warn))
            {
                if (a.Key == "AppStream")
                {
                    ParseUrl(a, ref appStream, specifiers, diagnostics);
                }
                else if (!keys.TryRead(a))
                {
                    keys.Unknown(a);
                }
            }
        }

        return new FeatureDefinition(name, mainFile.Path, keys.Description, keys.Documentation, appStream, keys.Enabled, Masked: false)
        {
            Suggestion = keys.Suggestion,
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
