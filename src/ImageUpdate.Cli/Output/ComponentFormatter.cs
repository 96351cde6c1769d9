using ImageUpdate.Update.Engine;

namespace ImageUpdate.Cli.Output;

/// <summary>`components` as systemd-sysupdate 262 prints it: enabled and suggested marks, name, description, documentation.</summary>
public static class ComponentFormatter
{
    public static void Write(TextWriter output, IReadOnlyList<ComponentRow> rows, bool legend)
    {
        var table = new Table("enabled", "suggested", "component", "description", "documentation");
        foreach (var row in rows)
        {
            table.Add(
                Mark(row.Enabled),
                Mark(row.Suggested),
                row.Name ?? "<default>",
                row.Description,
                row.Documentation.Count == 0 ? null : string.Join(' ', row.Documentation));
        }

        table.WriteTo(output, legend);
    }

    private static string? Mark(bool? value) => value switch
    {
        null => null,
        true => Glyphs.CheckMark,
        false => Glyphs.CrossMark,
    };
}
