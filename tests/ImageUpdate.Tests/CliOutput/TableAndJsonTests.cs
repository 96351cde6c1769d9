using ImageUpdate.Cli.Output;

namespace ImageUpdate.Tests.CliOutput;

/// <summary>Golden output recorded from systemd-sysupdate 257 (tests/oracle), byte for byte.</summary>
public sealed class TableAndJsonTests
{
    [Fact]
    public void The_list_table_matches_systemd_sysupdate_257()
    {
        var table = new Table("", "version", "installed", "available", "assessment").RightAlign(0).Center(2, 3);
        table.Add("↻", "2.0", " ", "✓", "candidate");
        table.Add(" ", "1.1", " ", "✓", "available");
        var output = new StringWriter { NewLine = "\n" };

        table.WriteTo(output, legend: true);

        Assert.Equal(
            "  VERSION INSTALLED AVAILABLE ASSESSMENT\n" +
            "↻ 2.0                   ✓     candidate\n" +
            "  1.1                   ✓     available\n",
            output.ToString());
    }

    [Fact]
    public void Without_legend_the_columns_fit_the_rows_only()
    {
        var table = new Table("", "version", "installed", "available", "assessment").RightAlign(0).Center(2, 3);
        table.Add("●", "1.1", "✓", "✓", "current");
        table.Add("↻", "2.0", " ", "✓", "candidate");
        var output = new StringWriter { NewLine = "\n" };

        table.WriteTo(output, legend: false);

        Assert.Equal("● 1.1 ✓ ✓ current\n↻ 2.0   ✓ candidate\n", output.ToString());
    }

    [Fact]
    public void Right_aligned_columns_align_their_headers_too()
    {
        var table = new Table("type", "path", "mtime", "mode").RightAlign(2, 3);
        table.Add("regular-file", "/a/rootfs_2.0.raw", "Sun 2026-11-22 12:34:14 UTC", "0644");
        var output = new StringWriter { NewLine = "\n" };

        table.WriteTo(output, legend: true);

        Assert.Equal(
            "TYPE         PATH                                    MTIME MODE\n" +
            "regular-file /a/rootfs_2.0.raw Sun 2026-11-22 12:34:14 UTC 0644\n",
            output.ToString());
    }

    [Fact]
    public void Pretty_json_is_tab_indented_with_spaced_colons_like_sd_json()
    {
        var pretty = JsonOutput.Pretty("""{"version":"1.1","newest":true,"changelogUrls":[],"contents":[{"type":"regular-file","mode":420,"tries-done":null}],"x":{}}"""u8);

        Assert.Equal(
            "{\n\t\"version\" : \"1.1\",\n\t\"newest\" : true,\n\t\"changelogUrls\" : [],\n\t\"contents\" : [\n\t\t{\n\t\t\t\"type\" : \"regular-file\",\n" +
            "\t\t\t\"mode\" : 420,\n\t\t\t\"tries-done\" : null\n\t\t}\n\t],\n\t\"x\" : {}\n}",
            pretty);
    }

    [Fact]
    public void Pretty_json_keeps_escapes_intact()
    {
        Assert.Equal("{\n\t\"a\\\"b\" : \"c\\\\d\\n\"\n}", JsonOutput.Pretty("""{"a\"b":"c\\d\n"}"""u8));
    }
}
