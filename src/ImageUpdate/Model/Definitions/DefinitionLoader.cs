using ImageUpdate.Foundation.Errors;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// Finds and reads a component's definitions as systemd-sysupdate does (sysupdate.c
/// context_read_definitions, read_features, read_transfers; sysupdate-util.c get_component_list).
/// </summary>
/// <remarks>
/// Search path: ROOT/{etc,run,usr/local/lib,usr/lib}/sysupdate.d (or sysupdate.NAME.d for a component),
/// or only --definitions=. Features are read first (transfers refer to them). Transfers are the
/// *.transfer files; only when none is found (masked ones do not count) are *.conf files read instead,
/// with a warning. Each file's drop-ins are NAME.d/*.conf across the same directories. Any definition
/// systemd refuses aborts the load with a <see cref="ConfigurationException"/> before anything is
/// touched.
/// </remarks>
public static class DefinitionLoader
{
    /// <summary>CONF_PATHS(""): the configuration search path, most important first.</summary>
    public static readonly IReadOnlyList<string> ConfigurationDirectories = ["etc", "run", "usr/local/lib", "usr/lib"];

    public static DefinitionSet Load(DefinitionLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Component is { } component && !ComponentNameIsValid(component))
        {
            throw new UsageException($"Component name '{UntrustedText.Escape(component)}' is not valid.");
        }

        var root = options.Root;
        var directories = SearchDirectories(options);
        var diagnostics = new DefinitionDiagnostics(options.Logger, options.WarningsAreErrors);
        var specifiers = options.Specifiers ?? SpecifierContext.ForRoot(root);

        var features = new Dictionary<string, FeatureDefinition>(StringComparer.Ordinal);
        foreach (var file in ConfFiles.List(directories, ".feature", root))
        {
            var name = file.Name[..^".feature".Length];
            features[name] = file.Masked
                ? new FeatureDefinition(name, file.Path, null, [], null, Enabled: false, Masked: true)
                : FeatureReader.Read(name, file, ConfFiles.ListDropIns(directories, file.Name + ".d", root), specifiers, diagnostics);
        }

        var transfers = ReadTransfers(directories, ".transfer", root, specifiers, diagnostics, options.TransferSource);
        if (transfers.Count == 0)
        {
            // Backwards compatibility (v257 renamed .conf to .transfer).
            transfers = ReadTransfers(directories, ".conf", root, specifiers, diagnostics, options.TransferSource);
            if (transfers.Count > 0)
            {
                options.Logger.LogWarning("As of v257, transfer definitions should have the '.transfer' extension.");
            }
        }

        return new DefinitionSet(transfers, features, options.DefinitionsDirectory is null ? options.Component : null)
        {
            Warnings = diagnostics.Warnings,
        };
    }

    /// <summary>
    /// The directories definitions are read from: --definitions= alone, else the search path under the
    /// root, with sysupdate.d or sysupdate.COMPONENT.d.
    /// </summary>
    public static IReadOnlyList<string> SearchDirectories(DefinitionLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DefinitionsDirectory is { } definitions)
        {
            return [definitions];
        }

        var leaf = options.Component is { } component ? $"sysupdate.{component}.d" : "sysupdate.d";
        return [.. ConfigurationDirectories.Select(d => Path.Combine(options.Root, d, leaf))];
    }

    /// <summary>
    /// The `components` verb: every sysupdate.NAME.d directory in the search path under
    /// <paramref name="root"/> with a valid NAME (sorted, each once; sysupdate.NAME.component.d metadata
    /// directories are not components), and whether a sysupdate.d directory holds a transfer.
    /// </summary>
    public static ComponentListing ListComponents(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var directories = ConfigurationDirectories.Select(d => Path.Combine(root, d));
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var hasDefault = false;
        foreach (var directory in ConfFiles.ListDirectoryNames(directories, ".d", root))
        {
            if (directory == "sysupdate.d")
            {
                // 262 (systemd issue 41501): the default set exists only when it has a transfer.
                hasDefault = ConfFiles.List(directories.Select(d => Path.Combine(d, directory)), ".transfer", root).Count > 0;
                continue;
            }

            if (!directory.StartsWith("sysupdate.", StringComparison.Ordinal) || directory.EndsWith(".component.d", StringComparison.Ordinal))
            {
                continue;
            }

            var name = directory["sysupdate.".Length..^".d".Length];
            if (name.Length > 0 && ComponentNameIsValid(name))
            {
                names.Add(name);
            }
        }

        return new ComponentListing([.. names], hasDefault);
    }

    /// <summary>component_name_valid: safe as part of a file name, and sysupdate.NAME.d a valid file name.</summary>
    public static bool ComponentNameIsValid(string name) =>
        ConfigValues.IsSafeNamePart(name) && ConfigValues.FileNameIsValid($"sysupdate.{name}.d");

    /// <summary>feature_name_valid: safe as part of a file name, and NAME.feature a valid file name.</summary>
    public static bool FeatureNameIsValid(string name) =>
        ConfigValues.IsSafeNamePart(name) && ConfigValues.FileNameIsValid($"{name}.feature");

    private static List<TransferDefinition> ReadTransfers(
        IReadOnlyList<string> directories, string suffix, string root, SpecifierContext specifiers,
        DefinitionDiagnostics diagnostics, string? transferSource)
    {
        var transfers = new List<TransferDefinition>();
        foreach (var file in ConfFiles.List(directories, suffix, root))
        {
            if (file.Masked)
            {
                continue;
            }

            var id = file.Name[..^suffix.Length];
            var dropIns = ConfFiles.ListDropIns(directories, file.Name + ".d", root);
            transfers.Add(TransferReader.Read(id, file, dropIns, specifiers, diagnostics, transferSource));
        }

        return transfers;
    }
}
