using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>Names are computed and checked before anything is removed (systemd #40658); leftovers per RemoveTemporary=.</summary>
public sealed class TargetNamingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private void Define(string targetPattern, string extra = "")
    {
        Directory.CreateDirectory(_dir["defs"]);
        Directory.CreateDirectory(_dir["src"]);
        Directory.CreateDirectory(_dir["dst"]);
        File.WriteAllText(_dir["defs/a.transfer"], $"""
            [Source]
            Type=regular-file
            Path={_dir["src"]}
            MatchPattern=a_@v

            [Target]
            Type=regular-file
            Path={_dir["dst"]}
            MatchPattern={targetPattern} a_@v
            InstancesMax=2
            {extra}
            """);
    }

    private Task<RunResult> Run(params string[] args) => ImageUpdateProcess.RunAsync(null, ["--definitions", _dir["defs"], .. args]);

    [Fact]
    public async Task A_new_name_too_long_for_the_file_system_fails_before_old_versions_are_removed()
    {
        Define("installed-under-a-much-longer-name-than-the-source-uses-@v.img");
        File.WriteAllText(_dir["dst/a_1"], "1");
        File.WriteAllText(_dir["dst/a_2"], "2");
        var version = "3" + new string('x', 220);
        File.WriteAllText(_dir[$"src/a_{version}"], "3");

        var result = await Run("update");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not suitable as file name", result.Stderr);
        Assert.True(File.Exists(_dir["dst/a_1"]) && File.Exists(_dir["dst/a_2"]), "vacuum ran before the name was checked");
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("RemoveTemporary=no", true)]
    public async Task Leftovers_of_interrupted_writes_go_unless_RemoveTemporary_is_off(string setting, bool kept)
    {
        Define("b_@v", setting);
        File.WriteAllText(_dir["dst/b_1"], "1");
        File.WriteAllText(_dir["dst/.#sysupdate.partial.b_9"], "torn");
        File.WriteAllText(_dir["src/a_2"], "2");

        var result = await Run("update");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(kept, File.Exists(_dir["dst/.#sysupdate.partial.b_9"]));
        Assert.Equal("2", File.ReadAllText(_dir["dst/b_2"]));
    }

    [Fact]
    public async Task A_read_only_directory_is_immutable_keeps_its_content_modes_and_is_still_vacuumed()
    {
        Directory.CreateDirectory(_dir["defs"]);
        var tree = Directory.CreateDirectory(_dir["src/tree_1"]).FullName;
        File.WriteAllText(Path.Combine(tree, "secret"), "x");
        File.SetUnixFileMode(Path.Combine(tree, "secret"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        File.WriteAllText(_dir["defs/t.transfer"], $"""
            [Source]
            Type=directory
            Path={_dir["src"]}
            MatchPattern=tree_@v

            [Target]
            Type=directory
            Path={_dir["dst"]}
            MatchPattern=tree_@v
            ReadOnly=yes
            InstancesMax=2
            """);

        Assert.Equal(0, (await Run("update")).ExitCode);

        var installed = _dir["dst/tree_1"];
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(Path.Combine(installed, "secret")));
        if (Environment.IsPrivilegedProcess)
        {
            Assert.ThrowsAny<UnauthorizedAccessException>(() => File.WriteAllText(Path.Combine(installed, "new"), "y"));
        }

        Directory.CreateDirectory(_dir["src/tree_2"]);
        Assert.Equal(0, (await Run("update")).ExitCode);
        Assert.Equal(0, (await Run("-m", "1", "vacuum")).ExitCode);
        Assert.False(Directory.Exists(installed), "the immutable oldest version was not vacuumed");
        Assert.True(Directory.Exists(_dir["dst/tree_2"]));
    }
}
