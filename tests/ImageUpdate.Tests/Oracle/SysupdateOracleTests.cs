namespace ImageUpdate.Tests.Oracle;

/// <summary>
/// Proves the harness itself: the real systemd-sysupdate runs on a work directory and reports what
/// the sysupdate(8) man page promises for check-new (the version on stdout and exit 0, or exit 1).
/// </summary>
public sealed class SysupdateOracleTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("image-update-oracle-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task Check_new_prints_the_newest_version_until_update_installs_it()
    {
        var oracle = SysupdateOracle.ForTest(output);
        if (oracle is null)
        {
            return;
        }
        var work = _work.FullName;
        var source = Directory.CreateDirectory(Path.Combine(work, "source")).FullName;
        var target = Directory.CreateDirectory(Path.Combine(work, "target")).FullName;
        var definitions = Directory.CreateDirectory(Path.Combine(work, "definitions")).FullName;
        File.WriteAllText(Path.Combine(source, "foo-1.txt"), "one\n");
        File.WriteAllText(Path.Combine(source, "foo-2.txt"), "two\n");
        File.WriteAllText(Path.Combine(definitions, "10-foo.transfer"), $"""
            [Source]
            Type=regular-file
            Path={source}
            MatchPattern=foo-@v.txt

            [Target]
            Type=regular-file
            Path={target}
            MatchPattern=foo-@v.txt
            """);
        string[] common = [$"--definitions={definitions}", "--verify=no"];

        var before = await oracle.RunAsync(work, null, [.. common, "check-new"]);
        output.WriteLine(before.ToString());
        Assert.True(before.ExitCode == 0, before.ToString());
        Assert.Equal("2\n", before.Stdout);

        var update = await oracle.RunAsync(work, null, [.. common, "update"]);
        output.WriteLine(update.ToString());
        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal("two\n", File.ReadAllText(Path.Combine(target, "foo-2.txt")));

        var after = await oracle.RunAsync(work, null, [.. common, "check-new"]);
        output.WriteLine(after.ToString());
        Assert.True(after.ExitCode == 1, after.ToString());
        Assert.Equal("", after.Stdout);
    }
}
