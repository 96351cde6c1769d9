namespace ImageUpdate.Model.Definitions;

/// <summary>
/// Reads sysupdate.NAME.component and its sysupdate.NAME.component.d/*.conf drop-ins from the
/// configuration search path under the root (262's component_read_definition): [Component]
/// Description=, Documentation= (many http(s) URLs, specifiers expanded, empty resets), Enabled=,
/// Suggest=, SuggestOn*=. A masked file (empty, or a symlink to /dev/null) counts as none.
/// </summary>
internal static class ComponentReader
{
    private static readonly string[] Sections = ["Component"];

    public static ComponentDefinition Read(string root, string name, SpecifierContext specifiers, DefinitionDiagnostics diagnostics)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(specifiers);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var fileName = $"sysupdate.{name}.component";
        var directories = DefinitionLoader.ConfigurationDirectories.Select(d => Path.Combine(root, d)).ToList();
        var main = ConfFiles.List(directories, ".component", root).FirstOrDefault(f => f.Name == fileName);
        var files = new List<ConfFile>();
        if (main is { Masked: false })
        {
            files.Add(main);
        }

        files.AddRange(ConfFiles.ListDropIns(directories, fileName + ".d", root).Where(f => !f.Masked));
        var keys = new DescribedSection("Component", enabledByDefault: true, specifiers, diagnostics);
        foreach (var file in files)
        {
            foreach (var a in UnitFileReader.Read(file.ReadPath, file.Path, Sections, diagnostics.Warn))
            {
                if (!keys.TryRead(a))
                {
                    keys.Unknown(a);
                }
            }
        }

        return new ComponentDefinition(name, keys.Description, keys.Documentation, keys.Enabled, keys.Suggestion);
    }
}
