using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Oracle;

/// <summary>
/// Proves the harness itself: the real systemd-sysupdate runs on a work directory and reports what
/// the sysupdate(8) man page promises for check-new (the version on stdout and exit 0, or exit 1).
/// </summary>
public sealed class SysupdateOracleTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("image-update-oracle-");

    public void Dispose() => _work.Delete(recursive: true);

    public static TheoryData<int> Versions => new(SysupdateOracle.Versions);

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Check_new_prints_the_newest_version_until_update_installs_it(int version)
    {
        var oracle = SysupdateOracle.ForTest(output, version);
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

    [Theory]
    [MemberData(nameof(Versions))]
    public void Each_oracle_is_the_release_it_is_named_after(int version)
    {
        var oracle = SysupdateOracle.ForTest(output, version);
        if (oracle is null)
        {
            return;
        }

        Assert.StartsWith($"systemd {version} (", oracle.Version, StringComparison.Ordinal);
        Assert.Equal(version, oracle.Major);
    }

    [Fact]
    public void The_262_chroot_carries_the_tools_later_tests_need()
    {
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        foreach (var tool in new[] { "usr/bin/varlinkctl", "usr/bin/systemd-repart", "usr/bin/ukify", "usr/sbin/veritysetup", "usr/bin/mkfs.erofs", "usr/bin/dbus-daemon" })
        {
            Assert.True(File.Exists(Path.Combine(oracle.Root, tool)), $"{tool} is missing from {oracle.Root}");
        }

        // systemd-tests is optional for the chroot (it is installed when it installs cleanly).
        TestEnvironment.RequireFile(
            Path.Combine(oracle.Root, "usr/lib/systemd/tests/testdata/units/TEST-72-SYSUPDATE.sh"),
            "systemd-tests did not install when the 262 chroot was built");
    }

    [Fact]
    public void The_oracle_scripts_name_no_mirror_of_their_own()
    {
        // debootstrap's default mirror, or IMAGE_UPDATE_ORACLE_MIRROR: the repository names no host.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var scripts = Path.Combine(dir.FullName, "tests", "oracle");
            if (Directory.Exists(scripts) && File.Exists(Path.Combine(dir.FullName, "ImageUpdate.sln")))
            {
                foreach (var file in Directory.EnumerateFiles(scripts).Append(Path.Combine(dir.FullName, ".ci", "install-deps")))
                {
                    Assert.DoesNotMatch("(?i)https?://|ftp://|debian\\.org|ubuntu\\.com", File.ReadAllText(file));
                }

                return;
            }
        }

        Assert.Fail($"tests/oracle/ was not found above {AppContext.BaseDirectory}");
    }
}
