using System.CommandLine;
using ImageUpdate.Cli.Output;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Systemd.Reporting;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Cli.Commands;

/// <summary>The feature and component verbs: listing, enabling and disabling them, and the selection options' refusals.</summary>
public sealed partial class CommandLineApp
{
    private int Features(ParseResult r, string? name)
    {
        RefuseSelections(r, "features");
        var json = _global.JsonMode(r);
        var legend = !r.GetValue(_global.NoLegend);
        using var engine = Engine(r, quiet: true);
        if (name is null)
        {
            FeatureFormatter.WriteList(_out, _err, engine.Features(), json, legend);
            return 0;
        }

        FeatureFormatter.WriteOne(_out, engine.Feature(name), json, legend);
        return 0;
    }

    private int SwitchFeatures(ParseResult r, string[] names, bool enable)
    {
        var verb = enable ? "enable-feature" : "disable-feature";
        var components = _global.ComponentSelection(r, verb, allowAll: true, allowSuggested: false);
        var selection = _global.FeatureSelection(r, verb, allowed: true);
        if (selection == Selection.Explicit && names.Length == 0)
        {
            throw new UsageException("No features selected.");
        }

        using var engine = Engine(r);
        engine.SetSelectedFeaturesEnabled(names, components, selection, enable);
        return 0;
    }

    private int SwitchComponents(ParseResult r, string[] names, bool enable)
    {
        var verb = enable ? "enable-component" : "disable-component";
        var selection = _global.ComponentSelection(r, verb, allowAll: true, allowSuggested: true);
        _global.FeatureSelection(r, verb, allowed: false);
        using var engine = Engine(r);
        engine.SetComponentsEnabled(names, selection, enable);
        return 0;
    }

    /// <summary>262's rule for -A/-S/-a/-s on the verbs that take none of them.</summary>
    private void RefuseSelections(ParseResult r, string verb)
    {
        _global.ComponentSelection(r, verb, allowAll: false, allowSuggested: false);
        _global.FeatureSelection(r, verb, allowed: false);
    }

    private int Components(ParseResult r)
    {
        RefuseSelections(r, "components");
        var json = _global.JsonMode(r);
        using var engine = Engine(r, quiet: true);
        var (hasDefault, names) = engine.Components();
        if (json == JsonMode.Off)
        {
            var rows = engine.ComponentRows();
            ComponentFormatter.Write(_out, rows, !r.GetValue(_global.NoLegend));
            if (rows.Count == 0)
            {
                _err.WriteLine("No components defined.");
            }
        }
        else
        {
            JsonOutput.Write(_out, json, w => SysupdateJson.WriteComponents(w, hasDefault, names));
        }

        return 0;
    }
}
