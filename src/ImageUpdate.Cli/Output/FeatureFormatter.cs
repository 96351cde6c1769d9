using ImageUpdate.Systemd.Reporting;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Cli.Output;

/// <summary>`features` and `features NAME` in sysupdate's table shapes; the JSON ones are <see cref="SysupdateJson"/>'s.</summary>
public static class FeatureFormatter
{
    public static void WriteList(TextWriter output, TextWriter log, IReadOnlyList<FeatureRow> features, JsonMode json, bool legend)
    {
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(output, json, w => SysupdateJson.WriteFeatures(w, features));
            return;
        }

        // 262's columns and footer.
        var table = new Table("enabled", "suggested", "feature", "description", "documentation");
        foreach (var f in features)
        {
            table.Add(Mark(f.Enabled), Mark(f.Suggested), f.Name, f.Description, f.Documentation.Count == 0 ? null : string.Join(' ', f.Documentation));
        }

        table.WriteTo(output, legend);
        if (features.Count == 0)
        {
            log.WriteLine("No features.");
        }
        else if (legend)
        {
            output.WriteLine();
            output.WriteLine($"{features.Count} features listed.");
        }
    }

    private static string? Mark(bool? value) => value switch { true => Glyphs.CheckMark, false => Glyphs.CrossMark, null => null };

    public static void WriteOne(TextWriter output, FeatureRow feature, JsonMode json, bool legend)
    {
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(output, json, w => SysupdateJson.WriteFeature(w, feature));
            return;
        }

        // A vertical key/value table, as format-table's table_new_vertical prints one.
        var table = new Table("key", "value").RightAlign(0);
        table.Add("Name:", feature.Name);
        table.Add("Enabled:", feature.Enabled ? "yes" : "no");
        table.Add("Suggested:", feature.Suggested switch { true => "yes", false => "no", null => "error (Invalid argument)" });
        if (feature.Description is not null)
        {
            table.Add("Description:", feature.Description);
        }

        if (feature.Documentation.Count > 0)
        {
            table.Add("Documentation:", string.Join(' ', feature.Documentation));
        }

        if (feature.AppStream is not null)
        {
            table.Add("AppStream:", feature.AppStream);
        }

        if (feature.Transfers.Count > 0)
        {
            table.Add("Transfers:", string.Join(' ', feature.Transfers));
        }

        table.WriteTo(output, legend);
    }
}
