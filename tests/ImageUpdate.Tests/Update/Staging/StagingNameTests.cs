using System.Text;
using ImageUpdate.Update.Staging;

namespace ImageUpdate.Tests.Update.Staging;

/// <summary>The name allowlist on raw bytes; each string is turned into bytes one char per byte (Latin-1), so "\xff" is the byte 0xff.</summary>
public sealed class StagingNameTests
{
    [Theory]
    [InlineData("SHA256SUMS")]
    [InlineData("SHA256SUMS.gpg")]
    [InlineData("SHA256SUMS.asc")]
    [InlineData("rootfs_2.raw")]
    [InlineData("uki_2.efi")]
    [InlineData("0")]
    [InlineData("Spectrum_1.2~rc1^git3+b,c-d.root")]
    [InlineData("rootfs_2.raw.caibx")]
    [InlineData(StagingFetch.ChunkPackName)]
    public void Names_a_staged_update_uses_are_accepted(string name)
    {
        Assert.Null(StagingName.Check(Encoding.Latin1.GetBytes(name)));
    }

    [Fact]
    public void A_name_of_255_bytes_is_accepted()
    {
        Assert.Null(StagingName.Check(Encoding.ASCII.GetBytes(new string('a', 255))));
    }

    [Fact]
    public void A_name_of_256_bytes_is_refused()
    {
        Assert.Equal("has a name of 256 bytes, more than 255", StagingName.Check(Encoding.ASCII.GetBytes(new string('a', 256))));
    }

    [Theory]
    [InlineData("", "has an empty name")]
    [InlineData("new\nline", "has a name with a control character")]
    [InlineData("esc\x1b[2Jape", "has a name with a control character")]
    [InlineData("tab\there", "has a name with a control character")]
    [InlineData("del\x7f", "has a name with a control character")]
    [InlineData("bad\xffname", "has a name that is not valid UTF-8")]
    [InlineData("overlong\xc0\xafslash", "has a name that is not valid UTF-8")]
    [InlineData("cut\xc3", "has a name that is not valid UTF-8")]
    [InlineData("\xc3\xbcmlaut", "has a name that does not start with a letter or a digit")]
    [InlineData("caf\xc3\xa9", "has a name with a character outside A-Z a-z 0-9 . _ + ~ ^ , -")]
    [InlineData("-rf", "has a name that does not start with a letter or a digit")]
    [InlineData("_underscore", "has a name that does not start with a letter or a digit")]
    [InlineData("~backup", "has a name that does not start with a letter or a digit")]
    [InlineData("with space", "has a name with a character outside A-Z a-z 0-9 . _ + ~ ^ , -")]
    [InlineData("star*", "has a name with a character outside A-Z a-z 0-9 . _ + ~ ^ , -")]
    [InlineData("a:b", "has a name with a character outside A-Z a-z 0-9 . _ + ~ ^ , -")]
    [InlineData("back\\slash", "has a name with a character outside A-Z a-z 0-9 . _ + ~ ^ , -")]
    [InlineData("uki_2.efi.", "has a name that ends in '.'")]
    [InlineData("a..", "has a name that ends in '.'")]
    public void Malformed_names_are_refused_with_the_reason(string name, string problem)
    {
        Assert.Equal(problem, StagingName.Check(Encoding.Latin1.GetBytes(name)));
    }
}
