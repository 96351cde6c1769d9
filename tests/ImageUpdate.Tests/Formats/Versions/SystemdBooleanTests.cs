using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Tests.Formats.Versions;

/// <summary>parse_boolean() as systemd has it: the one parser definitions, patterns and the command line share.</summary>
public sealed class SystemdBooleanTests
{
    [Theory]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("Y", true)]
    [InlineData("TRUE", true)]
    [InlineData("t", true)]
    [InlineData("On", true)]
    [InlineData("0", false)]
    [InlineData("NO", false)]
    [InlineData("n", false)]
    [InlineData("False", false)]
    [InlineData("F", false)]
    [InlineData("oFF", false)]
    public void The_twelve_words_in_any_ascii_case_are_booleans(string text, bool expected)
    {
        Assert.True(SystemdBoolean.TryParse(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" yes")]
    [InlineData("yes ")]
    [InlineData("2")]
    [InlineData("enabled")]
    [InlineData("ye")]
    [InlineData("\u0130")]
    [InlineData("ON\u0307")]
    [InlineData("y\u0435s")]
    public void Anything_else_is_not(string text)
    {
        Assert.False(SystemdBoolean.TryParse(text, out _));
    }
}
