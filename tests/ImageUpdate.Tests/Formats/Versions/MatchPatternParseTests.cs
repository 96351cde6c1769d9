using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Tests.Formats.Versions;

public sealed class MatchPatternParseTests
{
    [Theory]
    [InlineData("", "The pattern is empty.")]
    [InlineData("foo@", "ends in a lone '@'")]
    [InlineData("foo_@v@", "ends in a lone '@'")]
    [InlineData("foo_@v_@@@", "ends in a lone '@'")]
    [InlineData("foo_@q", "'@q' is not a wildcard")]
    [InlineData("foo_@V", "'@V' is not a wildcard")]
    [InlineData("foo_@ v", "'@ ' is not a wildcard")]
    [InlineData("@v@/x", "'@/' is not a wildcard")]
    [InlineData("@v_@v", "Wildcard '@v' appears twice")]
    [InlineData("@v_@l-@l.efi", "Wildcard '@l' appears twice")]
    [InlineData("@v@u", "Wildcards '@v' and '@u' need a literal or '/' between them")]
    [InlineData("x_@v.@l@d", "Wildcards '@l' and '@d' need a literal or '/' between them")]
    [InlineData("foo", "lacks the mandatory '@v' wildcard")]
    [InlineData("foo_@u", "lacks the mandatory '@v' wildcard")]
    [InlineData("@@", "lacks the mandatory '@v' wildcard")]
    [InlineData("@@v", "lacks the mandatory '@v' wildcard")]
    [InlineData("**/", "lacks the mandatory '@v' wildcard")]
    [InlineData("@v$", "Character '$' is not allowed")]
    [InlineData("@v*", "Character '*' is not allowed")]
    [InlineData("@v?", "Character '?' is not allowed")]
    [InlineData("@v[", "Character '[' is not allowed")]
    [InlineData("@v]", "Character ']' is not allowed")]
    [InlineData("@v!", "Character '!' is not allowed")]
    [InlineData("@v\\", @"Character '\\' is not allowed")]
    [InlineData("@v|", "Character '|' is not allowed")]
    [InlineData("@v\u0001", @"Character '\x01' is not allowed")]
    [InlineData("@v\t", @"Character '\t' is not allowed")]
    [InlineData("@v\n", @"Character '\n' is not allowed")]
    [InlineData("@v\u007f", @"Character '\x7f' is not allowed")]
    [InlineData("@v\u00e9", @"Character '\xc3\xa9' is not allowed")]
    [InlineData("*/@v", "Character '*' is not allowed")]
    [InlineData("**/**/@v", "Character '*' is not allowed")]
    [InlineData("/@v", "is not a valid relative path")]
    [InlineData("@v/", "is not a valid relative path")]
    [InlineData("a//@v", "is not a valid relative path")]
    [InlineData("../@v", "is not a valid relative path")]
    [InlineData("./@v", "is not a valid relative path")]
    [InlineData("@v/../x", "is not a valid relative path")]
    [InlineData("**//@v", "is not a valid relative path")]
    public void Refuses_a_malformed_pattern(string text, string fragment)
    {
        var error = Assert.Throws<PatternException>(() => MatchPattern.Parse(text));
        Assert.Contains(fragment, error.Message);
        Assert.False(MatchPattern.IsValid(text));
    }

    [Fact]
    public void An_error_message_quotes_the_pattern_escaped()
    {
        var error = Assert.Throws<PatternException>(() => MatchPattern.Parse("a_@v\u001b[0m"));
        Assert.Equal(@"Character '\x1b' is not allowed in pattern 'a_@v\x1b[0m'.", error.Message);

        error = Assert.Throws<PatternException>(() => MatchPattern.Parse("a_@q"));
        Assert.Equal("'@q' is not a wildcard in pattern 'a_@q'.", error.Message);
    }

    [Theory]
    [InlineData("@v")]
    [InlineData("part1-@v")]
    [InlineData("a-very-long-partition-name-@v")]
    [InlineData("dir-@v")]
    [InlineData("uki_@v.efi.extra.d/extra.addon.efi")]
    [InlineData("@v_@u.root")]
    [InlineData("uki_@v+@l-@d.efi")]
    [InlineData("foo@@@v")]
    [InlineData("@v@@@u")]
    [InlineData("@v/@u")]
    [InlineData("foo_@v/bar.efi")]
    [InlineData("**/foo_@v.efi")]
    [InlineData("x@v_@u_@f_@a_@g_@r_@t_@m_@s_@d_@l_@h.raw")]
    [InlineData("%A_@v \"quoted\" 'x' #;:=,.~^&()<>{}")]
    [InlineData("..x_@v")]
    public void Accepts_a_valid_pattern_and_keeps_its_text(string text)
    {
        var pattern = MatchPattern.Parse(text);
        Assert.Equal(text, pattern.Text);
        Assert.Equal(text, pattern.ToString());
        Assert.True(MatchPattern.IsValid(text));
    }

    [Fact]
    public void Reports_its_wildcards_slashes_and_depth()
    {
        var pattern = MatchPattern.Parse("uki_@v+@l-@d.efi.extra.d/extra.addon.efi");
        Assert.True(pattern.HasWildcard('v'));
        Assert.True(pattern.HasWildcard('l'));
        Assert.True(pattern.HasWildcard('d'));
        Assert.False(pattern.HasWildcard('u'));
        Assert.False(pattern.HasWildcard('q'));
        Assert.Equal(['v', 'l', 'd'], pattern.Wildcards);
        Assert.True(pattern.HasSlash);
        Assert.Equal(1, pattern.SlashCount);
        Assert.False(pattern.AnyDepth);

        var flat = MatchPattern.Parse("uki_@v.efi");
        Assert.False(flat.HasSlash);
        Assert.Equal(0, flat.SlashCount);
    }

    [Fact]
    public void A_double_at_sign_is_a_literal_and_not_a_wildcard()
    {
        var pattern = MatchPattern.Parse("foo@@v_@v");
        Assert.Equal(['v'], pattern.Wildcards);
        Assert.Equal("foo@v_1", pattern.Format(new InstanceMetadata { Version = "1" }));
    }

    [Fact]
    public void The_any_depth_prefix_is_recognised_only_at_the_start()
    {
        var pattern = MatchPattern.Parse("**/foo_@v.efi");
        Assert.True(pattern.AnyDepth);
        Assert.False(pattern.HasSlash);
        Assert.Equal("**/foo_@v.efi", pattern.Text);
        Assert.Throws<PatternException>(() => MatchPattern.Parse("a/**/foo_@v.efi"));
    }
}
