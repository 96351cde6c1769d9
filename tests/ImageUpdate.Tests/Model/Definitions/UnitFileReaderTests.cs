using System.Text;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;

namespace ImageUpdate.Tests.Model.Definitions;

public sealed class UnitFileReaderTests
{
    private static readonly string[] Sections = ["Source", "Target"];

    private readonly List<ConfigurationWarning> _warnings = [];

    private IReadOnlyList<UnitFileAssignment> Parse(string text) =>
        UnitFileReader.Parse(Encoding.UTF8.GetBytes(text), "f.transfer", Sections, _warnings.Add);

    [Fact]
    public void Assignments_keep_section_key_value_and_line()
    {
        var result = Parse("# comment\n[Source]\n  Type = regular-file  \n\n; other comment\nPath=/a=b\n");
        Assert.Equal(
            [new("f.transfer", 3, "Source", "Type", "regular-file"), new("f.transfer", 6, "Source", "Path", "/a=b")],
            result);
        Assert.Empty(_warnings);
    }

    [Fact]
    public void A_continuation_joins_lines_with_a_space_and_reports_the_last_line()
    {
        var result = Parse("[Source]\nMatchPattern=a-@v \\\n  b-@v \\\n c-@v\nType=tar\n");
        Assert.Equal("a-@v    b-@v   c-@v", result[0].Value);
        Assert.Equal(4, result[0].Line);
        Assert.Equal(5, result[1].Line);
    }

    [Fact]
    public void A_comment_inside_a_continuation_is_skipped_and_the_continuation_goes_on()
    {
        var result = Parse("[Source]\nMatchPattern=a \\\n# not here\nb\n");
        Assert.Single(result);
        Assert.Equal("a  b", result[0].Value);
        Assert.Equal(4, result[0].Line);
    }

    [Fact]
    public void An_escaped_backslash_does_not_continue()
    {
        var result = Parse("[Source]\nPath=/a\\\\\nType=tar\n");
        Assert.Equal("/a\\\\", result[0].Value);
        Assert.Equal(2, result.Count);
    }

    [Fact]
    public void A_continuation_at_the_end_of_the_file_is_reported_one_line_past_it()
    {
        var result = Parse("[Source]\nPath=/a \\");
        Assert.Equal(3, result[0].Line);
        Assert.Equal("/a", result[0].Value);
    }

    [Fact]
    public void Crlf_cr_and_nul_end_lines_and_a_bom_is_dropped()
    {
        var result = UnitFileReader.Parse([0xEF, 0xBB, 0xBF, .. "[Source]\r\nType=tar\rPath=/p\0MatchPattern=x-@v"u8], "f", Sections, _warnings.Add);
        Assert.Equal(["tar", "/p", "x-@v"], result.Select(a => a.Value));
        Assert.Equal([2, 3, 4], result.Select(a => a.Line));
    }

    [Fact]
    public void Unknown_sections_are_warned_about_once_and_their_assignments_ignored()
    {
        var result = Parse("[Foo]\nA=1\nB=2\n[X-Vendor]\nC=3\n[Target]\nPath=/t\n");
        Assert.Single(result);
        var warning = Assert.Single(_warnings);
        Assert.Equal("f.transfer:1: Unknown section 'Foo', ignoring.", warning.ToString());
    }

    [Theory]
    [InlineData("Type=tar\n", "f.transfer:1: Assignment outside of a section, ignoring.")]
    [InlineData("[Source]\nno equals sign\n", "f.transfer:2: Missing '=' in 'no equals sign', ignoring the line.")]
    [InlineData("[Source]\n=value\n", "f.transfer:2: Missing key name before '=', ignoring the line.")]
    public void Lines_systemd_skips_are_warned_about_and_skipped(string text, string warning)
    {
        Assert.Empty(Parse(text));
        Assert.Equal(warning, Assert.Single(_warnings).ToString());
    }

    [Theory]
    [InlineData("[Source\nType=tar\n", "f.transfer:1: Invalid section header '[Source'.")]
    [InlineData("[Sou\"rce]\n", "f.transfer:1: Bad characters in section header '[Sou\"rce]'.")]
    [InlineData("[Sou\\rce]\n", "f.transfer:1: Bad characters in section header '[Sou\\\\rce]'.")]
    public void Malformed_section_headers_fail_the_file(string text, string message)
    {
        var e = Assert.Throws<ConfigurationException>(() => Parse(text));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void A_line_that_is_not_utf8_fails_the_file()
    {
        var e = Assert.Throws<ConfigurationException>(
            () => UnitFileReader.Parse([.. "[Source]\nPath=/"u8, 0xFF, .. "\n"u8], "f", Sections, _warnings.Add));
        Assert.StartsWith("f:2: The line 'Path=/\\xff' is not valid UTF-8.", e.Message, StringComparison.Ordinal);
    }
}
