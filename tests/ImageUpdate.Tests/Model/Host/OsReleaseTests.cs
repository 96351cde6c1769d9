using ImageUpdate.Model.Host;

namespace ImageUpdate.Tests.Model.Host;

public sealed class OsReleaseTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "iu-osr-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData("ID=debian", "ID", "debian")]
    [InlineData("ID=\"debian\"", "ID", "debian")]
    [InlineData("ID='de bian'", "ID", "de bian")]
    [InlineData("NAME=\"a \\\"b\\\" \\$c \\\\d \\e\"", "NAME", "a \"b\" $c \\d \\e")]
    [InlineData("NAME=a\\ b", "NAME", "a b")]
    [InlineData("NAME=a b   ", "NAME", "a b")]
    [InlineData("  ID = x", "ID", "x")]
    [InlineData("ID=x\nID=y", "ID", "y")]
    [InlineData("# ID=no\nID=yes", "ID", "yes")]
    [InlineData("ID=\"multi\\\nline\"", "ID", "multiline")]
    [InlineData("ID='a'\"b\"c", "ID", "abc")]
    [InlineData("ID=", "ID", "")]
    public void Values_are_parsed_with_shell_quoting(string text, string key, string expected) =>
        Assert.Equal(expected, OsRelease.Parse(text)[key]);

    [Fact]
    public void A_line_without_equals_sign_is_skipped()
    {
        var release = OsRelease.Parse("garbage\nID=ok\n");
        Assert.Equal("ok", release["ID"]);
        Assert.Null(release["garbage"]);
    }

    [Fact]
    public void Etc_wins_over_usr_lib_and_usr_lib_is_the_fallback()
    {
        Directory.CreateDirectory(Path.Combine(_root, "usr/lib"));
        File.WriteAllText(Path.Combine(_root, "usr/lib/os-release"), "ID=usr\n");
        Assert.Equal("usr", OsRelease.Read(_root)!["ID"]);

        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        File.WriteAllText(Path.Combine(_root, "etc/os-release"), "ID=etc\n");
        Assert.Equal("etc", OsRelease.Read(_root)!["ID"]);
    }

    [Fact]
    public void A_root_without_os_release_reads_as_null()
    {
        Directory.CreateDirectory(_root);
        Assert.Null(OsRelease.Read(_root));
    }
}
