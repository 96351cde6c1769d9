using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.InstallDatabase;

namespace ImageUpdate.Tests.Model.InstallDatabase;

public sealed class OrphanPlannerTests
{
    private static InstalledTarget Owner(string directory, params string[] patterns) => new(directory, PatternList.Parse(patterns));

    [Theory]
    [InlineData("alpha-1.bin", false, OrphanDecision.Keep)]
    [InlineData("alpha-1.img", false, OrphanDecision.Remove)] // Matched by the record, by no current pattern.
    [InlineData("beta-1", true, OrphanDecision.Ignore)]
    [InlineData(".sysupdate.pending.alpha-1.bin", false, OrphanDecision.Ignore)]
    public void A_file_the_record_matches_is_kept_only_while_a_transfer_of_the_same_directory_owns_it(string entry, bool isDirectory, OrphanDecision expected)
    {
        var owners = new[] { Owner("/target", "alpha-@v.bin"), Owner("/elsewhere", "alpha-@v.img") };

        var record = entry.EndsWith(".img", StringComparison.Ordinal) ? "alpha-@v.img" : "alpha-@v.bin";
        Assert.Equal(expected, OrphanPlanner.Decide("/target", MatchPattern.Parse(record), entry, isDirectory, owners));
    }

    [Fact]
    public void Without_any_transfer_everything_the_record_matches_is_an_orphan() =>
        Assert.Equal(OrphanDecision.Remove, OrphanPlanner.Decide("/target", MatchPattern.Parse("beta-@v"), "beta-1", isDirectory: true, []));

    [Fact]
    public void A_subpath_record_descends_into_directories_only()
    {
        var pattern = MatchPattern.Parse("pack-@v/image.raw");

        Assert.Equal(OrphanDecision.Descend, OrphanPlanner.Decide("/t", pattern, "pack-1", isDirectory: true, []));
        Assert.Equal(OrphanDecision.Ignore, OrphanPlanner.Decide("/t", pattern, "pack-1", isDirectory: false, []));
        Assert.Equal(OrphanDecision.Remove, OrphanPlanner.Decide("/t", pattern, "pack-1/image.raw", isDirectory: false, []));
        Assert.Equal(OrphanDecision.Keep, OrphanPlanner.Decide("/t", pattern, "pack-1/image.raw", isDirectory: false, [Owner("/t", "pack-@v/image.raw")]));
    }

    [Fact]
    public void An_any_depth_record_looks_into_every_directory() =>
        Assert.Equal(OrphanDecision.Descend, OrphanPlanner.Decide("/t", MatchPattern.Parse("**/blob-@v.bin"), "sub", isDirectory: true, []));

    [Fact]
    public void A_current_pattern_that_only_descends_into_the_path_still_owns_it() =>
        // 262 counts a Retry of the current patterns as ownership: 'pack-@v/image.raw' pins 'pack-1'.
        Assert.Equal(OrphanDecision.Keep, OrphanPlanner.Decide("/t", MatchPattern.Parse("pack-@v"), "pack-1", isDirectory: true, [Owner("/t", "pack-@v/image.raw")]));
}
