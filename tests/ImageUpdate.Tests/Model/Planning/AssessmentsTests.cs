using ImageUpdate.Model.Planning;
using F = ImageUpdate.Model.Planning.UpdateSetFlags;

namespace ImageUpdate.Tests.Model.Planning;

public sealed class AssessmentsTests
{
    // The words systemd's own unit test (test-sysupdate-update-set-flags) expects for these flags.
    [Theory]
    [InlineData(F.None, "n/a")]
    [InlineData(F.Installed | F.Newest, "current")]
    [InlineData(F.Installed | F.Available | F.Newest | F.Protected, "current")]
    [InlineData(F.Installed | F.Pending | F.Newest, "current+pending")]
    [InlineData(F.Installed | F.Partial | F.Pending | F.Newest, "current+partial")]
    [InlineData(F.Available | F.Newest | F.Candidate, "candidate")]
    [InlineData(F.Available | F.Candidate | F.Protected, "candidate")]
    [InlineData(F.Available | F.Newest, "available")]
    [InlineData(F.Installed, "installed")]
    [InlineData(F.Installed | F.Protected, "protected")]
    [InlineData(F.Available, "available")]
    [InlineData(F.Available | F.Protected, "available")]
    [InlineData(F.Installed | F.Incomplete | F.Newest, "current+incomplete")]
    [InlineData(F.Installed | F.Incomplete, "installed+incomplete")]
    [InlineData(F.Installed | F.Incomplete | F.Protected, "protected+incomplete")]
    [InlineData(F.Installed | F.Obsolete | F.Newest, "current+obsolete")]
    [InlineData(F.Installed | F.Available | F.Obsolete, "installed+obsolete")]
    [InlineData(F.Available | F.Obsolete | F.Newest, "available+obsolete")]
    [InlineData(F.Installed | F.Obsolete | F.Incomplete | F.Newest, "current+obsolete+incomplete")]
    [InlineData(F.Installed | F.Available | F.Obsolete | F.Incomplete | F.Protected, "protected+obsolete+incomplete")]
    public void Flags_read_as_systemd_words_them(UpdateSetFlags flags, string expected) =>
        Assert.Equal(expected, Assessments.Describe(flags));
}
