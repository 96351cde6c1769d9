using ImageUpdate.Engine;

namespace ImageUpdate.Cli.Output;

/// <summary>`features` and `features NAME` in sysupdate's text and JSON shapes.</summary>
public static class FeatureFormatter
{
    public static void WriteList(TextWriter output, TextWriter log, IReadOnlyList<FeatureRow> features, JsonMode json, bool legend)
    {
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(output, json, w =>
            {
                w.WriteStartObject();
                w.WriteStrings("features", features.Select(f => f.Name));
                w.WriteEndObject();
            });
            return;
        }

        var table = new Table("", "feature", "description", "documentation");
        foreach (var f in features)
        {
            table.Add(f.Enabled ? Glyphs.CheckMark : Glyphs.CrossMark, f.Name, f.Description, f.Documentation);
        }

        table.WriteTo(output, legend);
        if (features.Count == 0)
        {
            log.WriteLine("No features.");
        }
    }

    public static void WriteOne(TextWriter output, FeatureRow feature, JsonMode json, bool legend)
    {
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(output, json, w =>
            {
                w.WriteStartObject();
                w.WriteString("name", feature.Name);
                w.WriteBoolean("enabled", feature.Enabled);
                if (feature.Description is not null)
                {
                    w.WriteString("description", feature.Description);
                }

                if (feature.Documentation is not null)
                {
                    w.WriteString("documentation", feature.Documentation);
                }

                if (feature.AppStream is not null)
                {
                    w.WriteString("appStream", feature.AppStream);
                }

                w.WriteStrings("transfers", feature.Transfers);
                w.WriteEndObject();
            });
            return;
        }

        // A vertical key/value table, as format-table's table_new_vertical prints one.
        var table = new Table("key", "value").RightAlign(0);
        table.Add("Name:", feature.Name);
        table.Add("Enabled:", feature.Enabled ? "yes" : "no");
        if (feature.Description is not null)
        {
            table.Add("Description:", feature.Description);
        }

        if (feature.Documentation is not null)
        {
            table.Add("Documentation:", feature.Documentation);
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
