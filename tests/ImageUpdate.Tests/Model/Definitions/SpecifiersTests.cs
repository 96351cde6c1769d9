using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Host;

namespace ImageUpdate.Tests.Model.Definitions;

public sealed class SpecifiersTests
{
    private static string Expand(string text, SpecifierContext? context = null)
    {
        Assert.True(Specifiers.TryExpand(text, 4095, context ?? TempTree.Specifiers(), out var result, out var error), error);
        return result;
    }

    [Theory]
    [InlineData("%a", "x86-64")]
    [InlineData("%A", "1.2")]
    [InlineData("%b", "0123456789abcdef0123456789abcdef")]
    [InlineData("%B", "b7")]
    [InlineData("%H", "box.example.org")]
    [InlineData("%l", "box")]
    [InlineData("%m", "fedcba9876543210fedcba9876543210")]
    [InlineData("%M", "demo")]
    [InlineData("%o", "debian")]
    [InlineData("%v", "6.1.0-test")]
    [InlineData("%w", "12")]
    [InlineData("%W", "server")]
    [InlineData("%T", "/tmp")]
    [InlineData("%V", "/var/tmp")]
    [InlineData("%%", "%")]
    [InlineData("a%%A", "a%A")]
    [InlineData("/x/%M_%A.raw", "/x/demo_1.2.raw")]
    [InlineData("trailing%", "trailing%")]
    [InlineData("%-x", "%-x")]
    [InlineData("%/", "%/")]
    public void Each_specifier_expands_as_systemd_does(string text, string expected) => Assert.Equal(expected, Expand(text));

    [Fact]
    public void Without_root_the_temporary_directories_come_from_the_host()
    {
        var context = TempTree.Specifiers(rootGiven: false);
        Assert.Equal("/tmp/env-tmp /var/env-tmp", Expand("%T %V", context));
    }

    [Fact]
    public void An_os_release_field_that_is_not_set_expands_to_nothing() =>
        Assert.Equal("v-", Expand("v-%A", TempTree.Specifiers("ID=x\n")));

    [Theory]
    [InlineData("%q", "unknown specifier '%q'")]
    [InlineData("%u", "unknown specifier '%u'")]
    [InlineData("%1", "unknown specifier '%1'")]
    public void An_unknown_letter_or_digit_fails(string text, string reason)
    {
        Assert.False(Specifiers.TryExpand(text, 255, TempTree.Specifiers(), out _, out var error));
        Assert.Equal(reason, error);
    }

    [Fact]
    public void A_missing_os_release_file_fails_the_os_release_specifiers_only()
    {
        var context = TempTree.Specifiers(osRelease: null);
        Assert.False(Specifiers.TryExpand("%A", 255, context, out _, out var error));
        Assert.Contains("no os-release file", error, StringComparison.Ordinal);
        Assert.Equal("x86-64", Expand("%a", context));
    }

    [Theory]
    [InlineData("plain", false)]
    [InlineData("a%%b", false)]
    [InlineData("%A_%w", false)]
    [InlineData("%a", true)]
    [InlineData("%H", true)]
    public void The_host_is_detected_only_when_a_specifier_needs_it(string text, bool needsHost)
    {
        // `list` runs at every boot: a definition set without host specifiers reads nothing from /proc.
        var detections = 0;
        var context = new SpecifierContext(() => { detections++; return TempTree.Host; }, () => OsRelease.Parse("IMAGE_VERSION=1\nVERSION_ID=2\n"), rootGiven: true);
        Expand(text, context);
        Expand(text, context);
        Assert.Equal(needsHost ? 1 : 0, detections);
    }

    [Fact]
    public void A_missing_machine_id_fails_m()
    {
        var context = new SpecifierContext(TempTree.Host with { MachineId = null }, () => null, rootGiven: true);
        Assert.False(Specifiers.TryExpand("%m", 255, context, out _, out var error));
        Assert.Contains("machine-id", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_expanded_value_may_not_exceed_the_limit()
    {
        Assert.True(Specifiers.TryExpand(new string('a', 255), 255, TempTree.Specifiers(), out _, out _));
        Assert.False(Specifiers.TryExpand(new string('a', 254) + "%A", 255, TempTree.Specifiers(), out _, out var error));
        Assert.Contains("255 bytes", error, StringComparison.Ordinal);
    }
}
