using ImageUpdate.Foundation.Errors;
using ImageUpdate.Update.Imaging;
using ImageUpdate.Update.Publishing;

namespace ImageUpdate.Tests.Update.Publishing;

/// <summary>One parser, one bound: `publish` and `build-image` agree on every value but FAT's lower bound.</summary>
public sealed class SourceDateEpochTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("0", 0L)]
    [InlineData("1704067200", 1704067200L)]
    [InlineData("4294967295", 4294967295L)]
    public void Publish_reads_seconds_since_1970_up_to_what_an_openpgp_signature_holds(string? value, long? expected)
    {
        Assert.Equal(expected, SourceDateEpoch.Parse(value)?.ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData("4294967296")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("+5")]
    [InlineData(" 1")]
    [InlineData("99999999999999999999")]
    public void Publish_refuses_anything_else_as_a_usage_error(string value)
    {
        var e = Assert.Throws<UsageException>(() => SourceDateEpoch.Parse(value));

        Assert.Equal($"SOURCE_DATE_EPOCH=\"{value}\" is not a number of seconds since 1970.", e.Message);
    }

    [Theory]
    [InlineData("0", false)]
    [InlineData("315532799", false)]
    [InlineData("315532800", true)]
    [InlineData("4294967295", true)]
    [InlineData("4294967296", false)]
    public void The_image_build_takes_the_same_values_from_fats_epoch_on(string value, bool accepted)
    {
        Assert.True(SourceDateEpoch.TryParse(value, out _) || !accepted);
        if (accepted)
        {
            Assert.Equal(SourceDateEpoch.Parse(value), DiskImageOptions.ParseSourceDateEpoch(value));
        }
        else
        {
            Assert.Throws<DiskImageException>(() => DiskImageOptions.ParseSourceDateEpoch(value));
        }
    }
}
