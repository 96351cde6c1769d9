using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Tests.Formats.Versions;

public sealed class PatternListTests
{
    // TEST-72-SYSUPDATE's UKI transfer: the boot counter variants first, the plain name last.
    private static readonly PatternList Uki = PatternList.Parse(["uki_@v+@l-@d.efi", "uki_@v+@l.efi", "uki_@v.efi"]);

    [Fact]
    public void A_name_with_both_counters_matches_the_first_pattern()
    {
        var result = Uki.Match("uki_1+3-0.efi");
        Assert.Equal(PatternMatchKind.Match, result.Kind);
        Assert.Equal(new InstanceMetadata { Version = "1", TriesLeft = 3, TriesDone = 0 }, result.Metadata);
    }

    [Fact]
    public void A_name_with_tries_left_only_matches_the_second_pattern()
    {
        var result = Uki.Match("uki_1+3.efi");
        Assert.Equal(new InstanceMetadata { Version = "1", TriesLeft = 3 }, result.Metadata);
    }

    [Fact]
    public void A_plain_name_matches_the_third_pattern()
    {
        var result = Uki.Match("uki_1.efi");
        Assert.Equal(new InstanceMetadata { Version = "1" }, result.Metadata);
    }

    [Fact]
    public void The_plain_pattern_alone_takes_the_counters_into_the_version()
    {
        var alone = PatternList.Parse(["uki_@v.efi"]);
        Assert.Equal(new InstanceMetadata { Version = "1+3-0" }, alone.Match("uki_1+3-0.efi").Metadata);
    }

    [Fact]
    public void A_name_no_pattern_matches_is_no_match()
    {
        Assert.Equal(PatternMatch.None, Uki.Match("uki_1.efi.sig"));
        Assert.Equal(PatternMatch.None, Uki.Match("other_1.efi"));
    }

    [Fact]
    public void The_first_pattern_names_new_instances()
    {
        Assert.Equal("uki_@v+@l-@d.efi", Uki.First.Text);
        Assert.Equal("uki_2+3-0.efi", Uki.First.Format(new InstanceMetadata { Version = "2", TriesLeft = 3, TriesDone = 0 }));
        Assert.Equal("uki_@v+@l-@d.efi uki_@v+@l.efi uki_@v.efi", Uki.ToString());
    }

    [Fact]
    public void A_match_by_any_pattern_wins_over_a_retry_whatever_the_order()
    {
        // systemd 262's pattern_match_many: order does not matter; a name one pattern matches and
        // another would descend into is a match, and the caller still descends ("yes and retry").
        var retryFirst = PatternList.Parse(["foo_@v/bar.efi", "foo_@v"]);
        Assert.Equal(PatternMatchKind.Match, retryFirst.Match("foo_1").Kind);
        Assert.Equal("1", retryFirst.Match("foo_1").Metadata?.Version);
        Assert.True(retryFirst.Descends("foo_1"));

        var matchFirst = PatternList.Parse(["foo_@v", "foo_@v/bar.efi"]);
        Assert.Equal(PatternMatchKind.Match, matchFirst.Match("foo_1").Kind);
        Assert.True(matchFirst.Descends("foo_1"));
        Assert.False(matchFirst.Descends("foo_1/bar.efi"));

        // TEST-72's "glob last": the version field takes the '.raw' of a top-level file, so the
        // subdirectory pattern asks to descend; the '**/' pattern still matches it.
        var globLast = PatternList.Parse(["bundle-@v/image.raw", "**/bundle-@v.raw"]);
        Assert.Equal("v2", globLast.Match("bundle-v2.raw").Metadata?.Version);

        var later = PatternList.Parse(["x_@v", "foo_@v/bar.efi"]);
        Assert.Equal(PatternMatch.Retry, later.Match("foo_1"));
        Assert.Equal("1", later.Match("foo_1/bar.efi").Metadata?.Version);
        Assert.True(later.HasSlash);
        Assert.False(later.AnyDepth);
    }

    [Fact]
    public void Duplicates_are_dropped_keeping_the_first_occurrence_and_the_order()
    {
        var list = PatternList.Parse(["b_@v", "a_@v", "b_@v", "c_@v", "a_@v"]);
        Assert.Equal(["b_@v", "a_@v", "c_@v"], list.Patterns.Select(p => p.Text));
    }

    [Fact]
    public void An_empty_list_is_refused()
    {
        var error = Assert.Throws<PatternException>(() => PatternList.Parse([]));
        Assert.Contains("No MatchPattern=", error.Message);
        Assert.Throws<ArgumentException>(() => new PatternList([]));
    }

    [Fact]
    public void A_malformed_member_is_refused()
    {
        var error = Assert.Throws<PatternException>(() => PatternList.Parse(["a_@v", "b_@q"]));
        Assert.Contains("'@q' is not a wildcard", error.Message);
    }
}
