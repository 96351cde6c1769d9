using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Tests.Formats.Versions;

public sealed class PatternWordsTests
{
    [Theory]
    [InlineData("", new string[0])]
    [InlineData("   \t \n", new string[0])]
    [InlineData("a_@v", new[] { "a_@v" })]
    [InlineData("  a_@v\t\tb_@v \r\n c_@v ", new[] { "a_@v", "b_@v", "c_@v" })]
    [InlineData("uki_@v+@l-@d.efi uki_@v+@l.efi uki_@v.efi", new[] { "uki_@v+@l-@d.efi", "uki_@v+@l.efi", "uki_@v.efi" })]
    public void Splits_on_runs_of_whitespace(string value, string[] expected)
    {
        Assert.Equal(expected, PatternWords.Split(value));
    }

    [Theory]
    [InlineData(@"a\x41_@v", "aA_@v")]
    [InlineData(@"a\101_@v", "aA_@v")]
    [InlineData(@"a\u0041_@v", "aA_@v")]
    [InlineData(@"a\U00000041_@v", "aA_@v")]
    [InlineData(@"a\s@v", "a @v")]
    [InlineData(@"\a\b\f\n\r\t\v", "\a\b\f\n\r\t\v")]
    [InlineData(@"\\", "\\")]
    [InlineData(@"\""", "\"")]
    [InlineData(@"\'", "'")]
    [InlineData(@"\U0001F600", "\U0001F600")]
    [InlineData(@"\xff", "\u00ff")]
    [InlineData(@"\377", "\u00ff")]
    public void Decodes_c_escapes(string value, string expected)
    {
        Assert.Equal([expected], PatternWords.Split(value));
    }

    [Fact]
    public void An_escaped_space_stays_inside_its_word()
    {
        Assert.Equal(["a b_@v", "c"], PatternWords.Split(@"a\sb_@v c"));
        Assert.Equal(["a b_@v"], PatternWords.Split(@"a\x20b_@v"));
    }

    [Fact]
    public void Quotes_are_ordinary_characters_as_sysupdate_does_not_unquote()
    {
        Assert.Equal(["\"a", "b\""], PatternWords.Split("\"a b\""));
        Assert.Equal(["'foo_@v'"], PatternWords.Split("'foo_@v'"));
        Assert.Equal(["\"unterminated_@v"], PatternWords.Split("\"unterminated_@v"));
    }

    [Theory]
    [InlineData(@"foo_@v\", "ends in a lone backslash")]
    [InlineData(@"\q", @"'\\q' is not a valid escape")]
    [InlineData(@"a\ b", @"'\\ ' is not a valid escape")]
    [InlineData(@"\x00", @"'\\x' is not a valid escape")]
    [InlineData(@"\x4", @"'\\x' is not a valid escape")]
    [InlineData(@"\xg0", @"'\\x' is not a valid escape")]
    [InlineData(@"\000", @"'\\0' is not a valid escape")]
    [InlineData(@"\400", @"'\\4' is not a valid escape")]
    [InlineData(@"\08", @"'\\0' is not a valid escape")]
    [InlineData(@"\8", @"'\\8' is not a valid escape")]
    [InlineData(@"\u0000", @"'\\u' is not a valid escape")]
    [InlineData(@"\u12", @"'\\u' is not a valid escape")]
    [InlineData(@"\U00110000", @"'\\U' is not a valid escape")]
    [InlineData(@"\U0000D800", @"'\\U' is not a valid escape")]
    [InlineData(@"\U0000FFFF", @"'\\U' is not a valid escape")]
    public void Refuses_a_bad_escape(string value, string fragment)
    {
        var error = Assert.Throws<PatternException>(() => PatternWords.Split(value));
        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void Escapes_cannot_smuggle_in_forbidden_pattern_characters()
    {
        var word = Assert.Single(PatternWords.Split(@"\x2a_@v"));
        Assert.Equal("*_@v", word);
        Assert.Throws<PatternException>(() => MatchPattern.Parse(word));
        Assert.Throws<PatternException>(() => MatchPattern.Parse(Assert.Single(PatternWords.Split(@"a\n_@v"))));
    }
}
