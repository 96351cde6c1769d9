using System.Text.Json;
using ImageUpdate.Model.Planning;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Systemd.Reporting;

/// <summary>
/// The JSON documents of systemd-sysupdate's verbs as 257 prints them with --json, written once for
/// the command line and for `serve` (sysupdated's Describe and DescribeFeature pass on what
/// `systemd-sysupdate --json=short list VERSION` and `features NAME` print).
/// </summary>
public static class SysupdateJson
{
    /// <summary>`list`.</summary>
    public static void WriteList(Utf8JsonWriter w, ListResult result)
    {
        var current = result.Current;
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
    }

    /// <summary>`list VERSION`.</summary>
    public static void WriteVersion(Utf8JsonWriter w, VersionDetails details)
    {
        var set = details.Set;
        var hidden = ResourceColumns.Hidden(details);
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
            WriteResource(w, row, hidden);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>`features`.</summary>
    public static void WriteFeatures(Utf8JsonWriter w, IReadOnlyList<FeatureRow> features)
    {
        w.WriteStartObject();
        w.WriteStrings("features", features.Select(f => f.Name));
        w.WriteEndObject();
    }

    /// <summary>
    /// `features NAME` in 262's shape: id, then what the feature has of description, documentation (a
    /// list) and appStream, enabled, suggested (left out when a condition could not be tested), and the
    /// transfers when there are any.
    /// </summary>
    public static void WriteFeature(Utf8JsonWriter w, FeatureRow feature)
    {
        w.WriteStartObject();
        w.WriteString("id", feature.Name);
        if (feature.Description is not null)
        {
            w.WriteString("description", feature.Description);
        }

        if (feature.Documentation.Count > 0)
        {
            w.WriteStrings("documentation", feature.Documentation);
        }

        if (feature.AppStream is not null)
        {
            w.WriteString("appStream", feature.AppStream);
        }

        w.WriteBoolean("enabled", feature.Enabled);
        if (feature.Suggested is { } suggested)
        {
            w.WriteBoolean("suggested", suggested);
        }

        if (feature.Transfers.Count > 0)
        {
            w.WriteStrings("transfers", feature.Transfers);
        }
        w.WriteEndObject();
    }

    /// <summary>`check-new`: the candidate, or null.</summary>
    public static void WriteCheckNew(Utf8JsonWriter w, string? candidate)
    {
        w.WriteStartObject();
        if (candidate is null)
        {
            w.WriteNull("available");
        }
        else
        {
            w.WriteString("available", candidate);
        }

        w.WriteEndObject();
    }

    /// <summary>`vacuum`, and what `update` removed to make room.</summary>
    public static void WriteVacuum(Utf8JsonWriter w, VacuumResult result)
    {
        w.WriteStartObject();
        w.WriteNumber("removed", result.Removed);
        w.WriteNumber("disabledTransfers", result.DisabledTransfers);
        w.WriteEndObject();
    }

    /// <summary>`components`.</summary>
    public static void WriteComponents(Utf8JsonWriter w, bool hasDefault, IReadOnlyList<string> names)
    {
        w.WriteStartObject();
        w.WriteBoolean("default", hasDefault);
        w.WriteStrings("components", names);
        w.WriteEndObject();
    }

    /// <summary>What sysupdated's Describe returns: `list VERSION` with --json=short.</summary>
    public static string DescribeVersion(VersionDetails details) => SdJson.Format(JsonStyle.Short, w => WriteVersion(w, details));

    /// <summary>What sysupdated's DescribeFeature returns: `features NAME` with --json=short.</summary>
    public static string DescribeFeature(FeatureRow feature) => SdJson.Format(JsonStyle.Short, w => WriteFeature(w, feature));

    private static void WriteResource(Utf8JsonWriter w, ResourceRow row, IReadOnlySet<int> hidden)
    {
        var m = row.Instance.Metadata;
        w.WriteStartObject();
        void Maybe(int column, Action write)
        {
            if (!hidden.Contains(column))
            {
                write();
            }
        }

        Maybe(ResourceColumns.Type, () => w.WriteString("type", row.Type));
        Maybe(ResourceColumns.Path, () => w.WriteString("path", row.Instance.Path));
        Maybe(ResourceColumns.PartitionUuid, () => { if (m.PartitionUuid is { } u) { w.WriteString("ptuuid", u.ToString()); } else { w.WriteNull("ptuuid"); } });
        Maybe(ResourceColumns.PartitionFlags, () => { if (m.PartitionFlags is { } v) { w.WriteNumber("ptflags", v); } else { w.WriteNull("ptflags"); } });
        Maybe(ResourceColumns.ModificationTime, () => { if (m.ModificationTimeUsec is { } v) { w.WriteNumber("mtime", v); } else { w.WriteNull("mtime"); } });
        Maybe(ResourceColumns.Mode, () => { if (m.Mode is { } v) { w.WriteNumber("mode", v); } else { w.WriteNull("mode"); } });
        Maybe(ResourceColumns.Size, () => { if (m.Size is { } v) { w.WriteNumber("size", v); } else { w.WriteNull("size"); } });
        Maybe(ResourceColumns.TriesDone, () => { if (m.TriesDone is { } v) { w.WriteNumber("tries-done", v); } else { w.WriteNull("tries-done"); } });
        Maybe(ResourceColumns.TriesLeft, () => { if (m.TriesLeft is { } v) { w.WriteNumber("tries-left", v); } else { w.WriteNull("tries-left"); } });
        Maybe(ResourceColumns.NoAuto, () => { if (m.NoAuto is { } v) { w.WriteBoolean("noauto", v); } else { w.WriteNull("noauto"); } });
        Maybe(ResourceColumns.ReadOnly, () => { if (m.ReadOnly is { } v) { w.WriteBoolean("ro", v); } else { w.WriteNull("ro"); } });
        Maybe(ResourceColumns.GrowFileSystem, () => { if (m.GrowFileSystem is { } v) { w.WriteBoolean("growfs", v); } else { w.WriteNull("growfs"); } });
        Maybe(ResourceColumns.Sha256, () => { if (m.Sha256 is { } v) { w.WriteString("sha256", v); } else { w.WriteNull("sha256"); } });
        w.WriteEndObject();
    }
}
