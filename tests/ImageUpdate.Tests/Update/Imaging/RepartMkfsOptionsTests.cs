using ImageUpdate.Update.Imaging;

namespace ImageUpdate.Tests.Update.Imaging;

/// <summary>SYSTEMD_REPART_MKFS_OPTIONS_FSTYPE read as systemd-repart 262 reads it (mkfs-util.c: strv_split at whitespace, no quoting).</summary>
public sealed class RepartMkfsOptionsTests
{
    [Theory]
    [InlineData("-Enoinline_data", new[] { "-Enoinline_data" })]
    [InlineData("  -zlz4hc,12\t-T0\n-x 1\r\n", new[] { "-zlz4hc,12", "-T0", "-x", "1" })]
    [InlineData("\"-L my label\"", new[] { "\"-L", "my", "label\"" })]
    [InlineData("", new string[0])]
    [InlineData(" \t ", new string[0])]
    public void The_value_is_split_at_whitespace_without_quoting(string value, string[] expected)
    {
        var environment = new Dictionary<string, string> { ["SYSTEMD_REPART_MKFS_OPTIONS_EROFS"] = value };

        Assert.Equal(expected, RepartMkfsOptions.For(environment, "erofs"));
    }

    [Fact]
    public void Only_the_variable_of_the_file_system_type_in_upper_case_counts()
    {
        var environment = new Dictionary<string, string>
        {
            ["SYSTEMD_REPART_MKFS_OPTIONS_SQUASHFS"] = "-comp zstd",
            ["SYSTEMD_REPART_MKFS_OPTIONS_erofs"] = "-Enoinline_data",
        };

        Assert.Empty(RepartMkfsOptions.For(environment, "erofs"));
        Assert.Equal(["-comp", "zstd"], RepartMkfsOptions.For(environment, "squashfs"));
        Assert.Equal("SYSTEMD_REPART_MKFS_OPTIONS_EROFS", RepartMkfsOptions.VariableFor("erofs"));
    }
}
