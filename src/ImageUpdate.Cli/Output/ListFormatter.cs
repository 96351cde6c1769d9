using System.Globalization;
using ImageUpdate.Model.Planning;
using ImageUpdate.Systemd.Reporting;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Cli.Output;

/// <summary>`list` and `list VERSION` in sysupdate's table shapes; the JSON ones are <see cref="SysupdateJson"/>'s.</summary>
public static class ListFormatter
{
    public static void WriteList(TextWriter output, ListResult result, JsonMode json, bool legend)
    {
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(output, json, w => SysupdateJson.WriteList(w, result));
            return;
        }

        var table = new Table("", "version", "installed", "available", "assessment").RightAlign(0).Center(2, 3);
        foreach (var set in result.Plan.Sets)
        {
            table.Add(Glyph(set.Flags), set.Version, set.Has(UpdateSetFlags.Installed) ? Glyphs.CheckMark : " ", set.Has(UpdateSetFlags.Available) ? Glyphs.CheckMark : " ", set.Assessment);
        }

        table.WriteTo(output, legend);
    }

    public static void WriteVersion(TextWriter output, VersionDetails details, JsonMode json, bool legend)
    {
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(output, json, w => SysupdateJson.WriteVersion(w, details));
            return;
        }

        var set = details.Set;
        var table = BuildResourceTable(details);
        var f = set.Flags;
        static string YesNo(bool b) => b ? "yes" : "no";
        output.WriteLine($"{Glyph(f)} Version: {set.Version}");
        output.WriteLine($"    State: {set.Assessment}");
        output.WriteLine($"Installed: {YesNo(set.Has(UpdateSetFlags.Installed))}"
            + (set.Has(UpdateSetFlags.Installed | UpdateSetFlags.Newest) ? " (newest)" : "")
            + (set.Has(UpdateSetFlags.Incomplete) ? " (incomplete)" : "")
            + (set.Has(UpdateSetFlags.Installed | UpdateSetFlags.Pending) ? " (pending)" : "")
            + (set.Has(UpdateSetFlags.Installed | UpdateSetFlags.Partial) ? " (partial)" : ""));
        output.WriteLine($"Available: {YesNo(set.Has(UpdateSetFlags.Available))}"
            + ((f & (UpdateSetFlags.Installed | UpdateSetFlags.Available | UpdateSetFlags.Newest)) == (UpdateSetFlags.Available | UpdateSetFlags.Newest) ? " (newest)" : ""));
        output.WriteLine($"Protected: {YesNo(set.Has(UpdateSetFlags.Installed | UpdateSetFlags.Protected))}");
        output.WriteLine($" Obsolete: {YesNo(set.Has(UpdateSetFlags.Obsolete))}");
        if (set.Has(UpdateSetFlags.Bad))
        {
            output.WriteLine("      Bad: yes (no boot tries left)");
        }
        foreach (var url in details.ChangeLogUrls)
        {
            output.WriteLine($"ChangeLog: {url}");
        }

        output.WriteLine();
        table.WriteTo(output, legend);
    }

    /// <summary>The glyph sysupdate puts before a version (update_set_flags_to_glyph).</summary>
    public static string Glyph(UpdateSetFlags flags)
    {
        if (flags == UpdateSetFlags.None || (flags & (UpdateSetFlags.Obsolete | UpdateSetFlags.Bad)) != 0)
        {
            return Glyphs.Multiplication;
        }

        if ((flags & (UpdateSetFlags.Partial | UpdateSetFlags.Pending)) != 0)
        {
            return Glyphs.Download;
        }

        if ((flags & (UpdateSetFlags.Installed | UpdateSetFlags.Newest)) == (UpdateSetFlags.Installed | UpdateSetFlags.Newest))
        {
            return Glyphs.BlackCircle;
        }

        if ((flags & (UpdateSetFlags.Installed | UpdateSetFlags.Protected)) == (UpdateSetFlags.Installed | UpdateSetFlags.Protected))
        {
            return Glyphs.WhiteCircle;
        }

        return (flags & (UpdateSetFlags.Available | UpdateSetFlags.Installed | UpdateSetFlags.Candidate | UpdateSetFlags.Obsolete)) == (UpdateSetFlags.Available | UpdateSetFlags.Candidate)
            ? Glyphs.CircleArrow
            : " ";
    }

    private static Table BuildResourceTable(VersionDetails details)
    {
        var table = new Table([.. ResourceColumns.Names]).RightAlign(3, 4, 5, 6, 7, 8);
        foreach (var row in details.Resources)
        {
            var m = row.Instance.Metadata;
            table.Add(
                row.Type,
                row.Instance.Path,
                m.PartitionUuid?.ToString(),
                m.PartitionFlags is { } flags ? "0x" + flags.ToString("x", CultureInfo.InvariantCulture) : null,
                m.ModificationTimeUsec is { } t ? FormatTimestamp(t) : null,
                m.Mode is { } mode ? FormatMode(mode) : null,
                m.Size is { } size ? FormatSize(size) : null,
                m.TriesDone?.ToString(CultureInfo.InvariantCulture),
                m.TriesLeft?.ToString(CultureInfo.InvariantCulture),
                m.NoAuto is { } na ? (na ? "yes" : "no") : null,
                m.ReadOnly is { } ro ? (ro ? "yes" : "no") : null,
                m.GrowFileSystem is { } g ? (g ? "yes" : "no") : null,
                m.Sha256);
        }

        return table.Hide([.. ResourceColumns.Hidden(details)]);
    }

    private static string FormatTimestamp(ulong usec)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds((long)(usec / 1000)).ToLocalTime();
        return time.ToString("ddd yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " " + (TimeZoneInfo.Local.Id == "UTC" || TimeZoneInfo.Local.Id == "Etc/UTC" ? "UTC" : time.ToString("zzz", CultureInfo.InvariantCulture));
    }

    private static string FormatMode(uint mode) => Convert.ToString(mode, 8).PadLeft(4, '0');

    private static string FormatSize(ulong size)
    {
        string[] units = ["B", "K", "M", "G", "T", "P", "E"];
        double value = size;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{size}B" : value.ToString("0.#", CultureInfo.InvariantCulture) + units[unit];
    }
}
