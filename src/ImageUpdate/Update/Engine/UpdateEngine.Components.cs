using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Host;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Engine;

/// <summary>Components and their suggestions (systemd 262): the `components` table, enable-/disable-component, -A/-S/-a/-s.</summary>
public sealed partial class UpdateEngine
{
    private SystemFacts? _systemFacts;

    private SystemFacts Facts() => _systemFacts ??= _options.Environment.SystemFacts();

    /// <summary>`components`: the default set (when sysupdate.d exists) and every named component, with its metadata.</summary>
    public IReadOnlyList<ComponentRow> ComponentRows()
    {
        var (hasDefault, names) = Components();
        var rows = new List<ComponentRow>();
        if (hasDefault)
        {
            rows.Add(new ComponentRow(null, Enabled: null, Suggested: null, "Default Component", []));
        }

        foreach (var name in names)
        {
            var c = ReadComponent(name);
            rows.Add(new ComponentRow(name, c.Enabled, c.Suggestion.IsSuggested(Facts), c.Description, c.Documentation));
        }

        return rows;
    }

    /// <summary>update and acquire with -C NAME: refused when NAME's Enabled= is off (262: "Component is disabled.").</summary>
    public void EnsureComponentEnabled()
    {
        if (_options.Component is { } name && _options.DefinitionsDirectory is null && !ReadComponent(name).Enabled)
        {
            throw new UpdateException("Component is disabled.");
        }
    }

    /// <summary>
    /// enable-component / disable-component: the named components, else -C's, else (-A) every
    /// component or (-S) the suggested ones; writes sysupdate.NAME.component.d/50-systemd-sysupdate-enabled.conf
    /// under ROOT/etc for each. Returns the names switched.
    /// </summary>
    public IReadOnlyList<string> SetComponentsEnabled(IReadOnlyList<string> names, Selection selection, bool enable)
    {
        ArgumentNullException.ThrowIfNull(names);
        var verb = enable ? "enable-component" : "disable-component";
        if (_options.DefinitionsDirectory is not null)
        {
            throw new UsageException($"The --definitions= switch may not be combined with '{verb}'.");
        }

        if (names.Count > 0 && (selection != Selection.Explicit || _options.Component is not null))
        {
            throw new UsageException("Either specify component names as positional parameter or via --component=/--component-all/--component-suggested, not both.");
        }

        foreach (var name in names)
        {
            if (!DefinitionLoader.ComponentNameIsValid(name))
            {
                throw new UsageException($"Component name invalid: {UntrustedText.Escape(name)}");
            }
        }

        var (_, known) = Components();
        IReadOnlyList<string> chosen = selection switch
        {
            Selection.All => known,
            Selection.Suggested => known.Where(IsSuggestedComponent).ToList(),
            _ => names.Count > 0 ? names : _options.Component is { } c ? [c] : [],
        };
        if (selection == Selection.Explicit && chosen.Count == 0)
        {
            throw new UsageException("No component specified.");
        }

        foreach (var name in chosen)
        {
            if (!known.Contains(name, StringComparer.Ordinal))
            {
                throw new UpdateException($"Component not found: {UntrustedText.Escape(name)}");
            }
        }

        using var guard = TakeLock();
        foreach (var name in chosen)
        {
            if (selection == Selection.Suggested)
            {
                _logger.LogInformation("{Action} '{Name}'.", enable ? "Enabling" : "Disabling", name);
            }

            ComponentSwitch.SetEnabled(_options.Root, name, enable);
            _logger.LogInformation("Component '{Name}' {State}.", name, enable ? "enabled" : "disabled");
        }

        return chosen;
    }

    /// <summary>
    /// enable-feature / disable-feature: the named features, or -a (every feature) or -s (the
    /// suggested ones) of the selected component, or with -A of the default set and every component.
    /// </summary>
    public IReadOnlyList<string> SetSelectedFeaturesEnabled(IReadOnlyList<string> names, Selection components, Selection features, bool enable)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (features != Selection.Explicit && names.Count > 0)
        {
            throw new UsageException("Either specify features as positional parameter or via --feature-all/--feature-suggested, not both.");
        }

        if (components == Selection.Explicit)
        {
            return SwitchFeaturesOf(_options, names, features, enable);
        }

        if (_options.DefinitionsDirectory is not null)
        {
            throw new UsageException($"The --definitions= switch may not be combined with '{(enable ? "enable-feature" : "disable-feature")}'.");
        }

        var (hasDefault, known) = Components();
        var switched = new List<string>();
        foreach (var component in (hasDefault ? new string?[] { null } : []).Concat(known))
        {
            switched.AddRange(SwitchFeaturesOf(_options with { Component = component }, names, features, enable));
        }

        return switched;
    }

    private List<string> SwitchFeaturesOf(EngineOptions options, IReadOnlyList<string> names, Selection selection, bool enable)
    {
        if (selection == Selection.Explicit)
        {
            SwitchFeatures(options, names, enable);
            return [.. names];
        }

        var definitions = HostFacts.LoadDefinitions(options, _logger);
        var component = options.Component ?? "<default>";
        var chosen = new List<string>();
        foreach (var feature in definitions.Features.Values.Where(f => !f.Masked).OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            if (selection == Selection.Suggested)
            {
                switch (feature.Suggestion.IsSuggested(Facts))
                {
                    case null:
                        _logger.LogWarning("Failed to determine if feature '{Name}' of component '{Component}' is suggested, skipping: Invalid argument", feature.Name, component);
                        continue;
                    case false:
                        _logger.LogDebug("Feature '{Name}' of component '{Component}' is not suggested, skipping.", feature.Name, component);
                        continue;
                }

                // As 262: with -s each chosen feature is announced before any is switched; -a announces none.
                _logger.LogInformation("{Action} feature '{Name}' of component '{Component}'.", enable ? "Enabling" : "Disabling", feature.Name, component);
            }

            chosen.Add(feature.Name);
        }

        SwitchFeatures(options, chosen, enable);
        return chosen;
    }

    private void SwitchFeatures(EngineOptions options, IReadOnlyList<string> names, bool enable)
    {
        if (options.DefinitionsDirectory is not null)
        {
            throw new UsageException($"The --definitions= switch may not be combined with '{(enable ? "enable-feature" : "disable-feature")}'.");
        }

        using var guard = TakeLock();
        foreach (var name in names)
        {
            HostFacts.SetFeatureEnabled(options, name, enable, _logger);
            _logger.LogInformation("Feature '{Name}' {State}.", name, enable ? "enabled" : "disabled");
        }
    }

    private bool IsSuggestedComponent(string name)
    {
        switch (ReadComponent(name).Suggestion.IsSuggested(Facts))
        {
            case null:
                _logger.LogWarning("Failed to determine whether '{Name}' is suggested, skipping: Invalid argument", name);
                return false;
            case false:
                _logger.LogDebug("Component '{Name}' is not suggested, skipping.", name);
                return false;
            default:
                return true;
        }
    }

    private ComponentDefinition ReadComponent(string name)
    {
        var load = HostFacts.LoadOptions(_options with { Component = name }, _logger);
        var diagnostics = new DefinitionDiagnostics(_logger, warningsAreErrors: false);
        return ComponentReader.Read(_options.Root, name, load.Specifiers!, diagnostics);
    }
}
