using System.Globalization;
using System.Text.Json;
using ImageUpdate.Engine;
using ImageUpdate.Planning;

namespace ImageUpdate.Cli.Output;

/// <summary>`list` and `list VERSION` in sysupdate's text and JSON shapes.</summary>
public static class ListFormatter
{
    public static void WriteList(TextWriter output, ListResult result, JsonMode json, bool legend)
    {
        if (json != JsonMode.Off)
        {
            var current = result.Current;
            JsonOutput.Write(output, json, w =>
            {
                w.WriteStartObject();
                var key = current is not null && current.Has(UpdateSetFlags.Pending) ? "current+pending" : "current";
                if (current is null)
                {
                    w.WriteNull(key);
                }
                else
                {
                    w.WriteString(key, current.Version);
                }

                w.WriteStrings("all", result.Plan.Sets.Select(s => s.Version));

                // image-update's extension: versions the boot loader gave up on. sysupdate has no such
                // key, so it is only there when there is one, and scripts see sysupdate's shape otherwise.
                var bad = result.Plan.Sets.Where(s => s.Has(UpdateSetFlags.Bad)).Select(s => s.Version).ToList();
                if (bad.Count > 0)
                {
                    w.WriteStrings("bad", bad);
                }

                w.WriteStrings("appstreamUrls", result.AppStreamUrls);
                w.WriteEndObject();
            });
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
        var set = details.Set;
        var table = BuildResourceTable(details);
        if (json != JsonMode.Off)
        {
            JsonOutput.Write(output, json, w =>
            {
                w.WriteStartObject();
                w.WriteString("version", set.Version);
                w.WriteBoolean("newest", set.Has(UpdateSetFlags.Newest));
                w.WriteBoolean("available", set.Has(UpdateSetFlags.Available));
                w.WriteBoolean("installed", set.Has(UpdateSetFlags.Installed));
                w.WriteBoolean("partial", set.Has(UpdateSetFlags.Partial));
                w.WriteBoolean("pending", set.Has(UpdateSetFlags.Pending));
                w.WriteBoolean("obsolete", set.Has(UpdateSetFlags.Obsolete));
                w.WriteBoolean("protected", set.Has(UpdateSetFlags.Protected));
                w.WriteBoolean("incomplete", set.Has(UpdateSetFlags.Incomplete));
                w.WriteBoolean("bad", set.Has(UpdateSetFlags.Bad));
                w.WriteStrings("changelogUrls", details.ChangeLogUrls);
                w.WriteStartArray("contents");
                foreach (var row in details.Resources)
                {
                    WriteResourceJson(w, row, table);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }

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

    private static readonly string[] ResourceColumns = ["type", "path", "ptuuid", "ptflags", "mtime", "mode", "size", "tries-done", "tries-left", "noauto", "ro", "growfs", "sha256"];

    private static Table BuildResourceTable(VersionDetails details)
    {
        var table = new Table(ResourceColumns).RightAlign(3, 4, 5, 6, 7, 8);
        bool anyUuid = false, anyFs = false, anySize = false, anyTries = false, anyNoAuto = false, anyRo = false, anyGrow = false, anySha = false;
        foreach (var row in details.Resources)
        {
            var m = row.Instance.Metadata;
            anyUuid |= m.PartitionUuid is not null || m.PartitionFlags is not null;
            anyFs |= m.ModificationTimeUsec is not null || m.Mode is not null;
            anySize |= m.Size is not null;
            anyTries |= m.TriesDone is not null || m.TriesLeft is not null;
            anyNoAuto |= m.NoAuto is not null;
            anyRo |= m.ReadOnly is not null;
            anyGrow |= m.GrowFileSystem is not null;
            anySha |= m.Sha256 is not null;
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

        if (!details.ShowPartitionColumns || !anyUuid)
        {
            table.Hide(2, 3);
        }

        if (!details.ShowFileSystemColumns || !anyFs)
        {
            table.Hide(4, 5);
        }

        if (!anySize)
        {
            table.Hide(6);
        }

        if (!anyTries)
        {
            table.Hide(7, 8);
        }

        if (!anyNoAuto)
        {
            table.Hide(9);
        }

        if (!anyRo)
        {
            table.Hide(10);
        }

        if (!anyGrow)
        {
            table.Hide(11);
        }

        if (!anySha)
        {
            table.Hide(12);
        }

        return table;
    }

    private static void WriteResourceJson(Utf8JsonWriter w, ResourceRow row, Table table)
    {
        var m = row.Instance.Metadata;
        w.WriteStartObject();
        void Maybe(int column, Action write)
        {
            if (!table.IsHidden(column))
            {
                write();
            }
        }

        Maybe(0, () => w.WriteString("type", row.Type));
        Maybe(1, () => w.WriteString("path", row.Instance.Path));
        Maybe(2, () => { if (m.PartitionUuid is { } u) { w.WriteString("ptuuid", u.ToString()); } else { w.WriteNull("ptuuid"); } });
        Maybe(3, () => { if (m.PartitionFlags is { } v) { w.WriteNumber("ptflags", v); } else { w.WriteNull("ptflags"); } });
        Maybe(4, () => { if (m.ModificationTimeUsec is { } v) { w.WriteNumber("mtime", v); } else { w.WriteNull("mtime"); } });
        Maybe(5, () => { if (m.Mode is { } v) { w.WriteNumber("mode", v); } else { w.WriteNull("mode"); } });
        Maybe(6, () => { if (m.Size is { } v) { w.WriteNumber("size", v); } else { w.WriteNull("size"); } });
        Maybe(7, () => { if (m.TriesDone is { } v) { w.WriteNumber("tries-done", v); } else { w.WriteNull("tries-done"); } });
        Maybe(8, () => { if (m.TriesLeft is { } v) { w.WriteNumber("tries-left", v); } else { w.WriteNull("tries-left"); } });
        Maybe(9, () => { if (m.NoAuto is { } v) { w.WriteBoolean("noauto", v); } else { w.WriteNull("noauto"); } });
        Maybe(10, () => { if (m.ReadOnly is { } v) { w.WriteBoolean("ro", v); } else { w.WriteNull("ro"); } });
        Maybe(11, () => { if (m.GrowFileSystem is { } v) { w.WriteBoolean("growfs", v); } else { w.WriteNull("growfs"); } });
        Maybe(12, () => { if (m.Sha256 is { } v) { w.WriteString("sha256", v); } else { w.WriteNull("sha256"); } });
        w.WriteEndObject();
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
