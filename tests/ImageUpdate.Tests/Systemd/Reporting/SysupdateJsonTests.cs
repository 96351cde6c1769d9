using ImageUpdate.Systemd.Reporting;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Tests.Systemd.Reporting;

/// <summary>
/// The documents systemd-sysupdate 257 prints with --json, as the one writer the CLI and `serve`
/// share makes them (list and list VERSION are pinned through the program by the Cli and
/// Differential tests).
/// </summary>
public sealed class SysupdateJsonTests
{
    private static readonly FeatureRow Feature = new("devel", true, "Development tools", [], "https://example.org/appstream.xml", ["10-devel", "20-debug"]) { Suggested = false };

    [Fact]
    public void Check_new_says_null_or_the_version()
    {
        Assert.Equal("""{"available":null}""", SdJson.Format(JsonStyle.Short, w => SysupdateJson.WriteCheckNew(w, null)));
        Assert.Equal("""{"available":"2.0"}""", SdJson.Format(JsonStyle.Short, w => SysupdateJson.WriteCheckNew(w, "2.0")));
    }

    [Fact]
    public void Vacuum_and_components_have_sysupdates_keys()
    {
        Assert.Equal("""{"removed":3,"disabledTransfers":1}""", SdJson.Format(JsonStyle.Short, w => SysupdateJson.WriteVacuum(w, new VacuumResult(3, 1))));
        Assert.Equal("""{"default":true,"components":["a","b"]}""", SdJson.Format(JsonStyle.Short, w => SysupdateJson.WriteComponents(w, true, ["a", "b"])));
    }

    [Fact]
    public void Features_list_names_and_one_feature_leaves_out_what_it_lacks()
    {
        Assert.Equal("""{"features":["devel"]}""", SdJson.Format(JsonStyle.Short, w => SysupdateJson.WriteFeatures(w, [Feature])));
        Assert.Equal(
            // 262's shape (257 wrote "name" and no "suggested").
            """{"id":"devel","description":"Development tools","appStream":"https://example.org/appstream.xml","enabled":true,"suggested":false,"transfers":["10-devel","20-debug"]}""",
            SysupdateJson.DescribeFeature(Feature));
    }

    [Fact]
    public void Pretty_is_the_short_document_reindented()
    {
        Assert.Equal(
            "{\n\t\"default\" : false,\n\t\"components\" : []\n}",
            SdJson.Format(JsonStyle.Pretty, w => SysupdateJson.WriteComponents(w, false, [])));
    }
}
