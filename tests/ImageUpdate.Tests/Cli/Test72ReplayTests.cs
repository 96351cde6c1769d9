using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// systemd's TEST-72-SYSUPDATE steps for file and directory targets, replayed against the real
/// `image-update` program (partition steps belong to the partition tests).
/// </summary>
public sealed class Test72ReplayTests : IDisposable
{
    private readonly Test72Scenario _s = new();

    public void Dispose() => _s.Dispose();

    private async Task UpdateNowAsync(string expected, string mode = "update")
    {
        var check = await _s.RunAsync("check-new");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Equal(expected, check.Stdout.Trim());

        if (mode == "update")
        {
            var update = await _s.RunAsync("update");
            Assert.True(update.ExitCode == 0, update.ToString());
        }
        else
        {
            var acquire = await _s.RunAsync("acquire");
            Assert.True(acquire.ExitCode == 0, acquire.ToString());
            var list = await _s.RunAsync("--offline", "list", expected);
            Assert.Contains("pending", list.Stdout);
            var install = await _s.RunAsync("update", "--offline");
            Assert.True(install.ExitCode == 0, install.ToString());
        }

        var after = await _s.RunAsync("check-new");
        Assert.True(after.ExitCode == 1, after.ToString());
    }

    [Fact]
    public async Task The_TEST_72_file_and_directory_steps_pass()
    {
        // 1-3: three versions; the UKI keeps two instances, the directory three.
        _s.NewVersion("v1");
        await UpdateNowAsync("v1");
        _s.AssertInstalled("v1");
        Assert.Equal("0444", Convert.ToString((int)File.GetUnixFileMode(Path.Combine(_s.UkiDir, "uki_v1+3-0.efi")), 8).PadLeft(4, '0'));
        Assert.False(File.GetUnixFileMode(Path.Combine(_s.System, "linux-v1.erofs")).HasFlag(UnixFileMode.UserWrite));

        _s.NewVersion("v2");
        await UpdateNowAsync("v2", mode: "acquire+offline");
        _s.AssertInstalled("v2");

        _s.NewVersion("v3");
        await UpdateNowAsync("v3");
        _s.AssertInstalled("v3");
        Assert.False(File.Exists(Path.Combine(_s.UkiDir, "uki_v1+3-0.efi")));
        Assert.False(Directory.Exists(Path.Combine(_s.UkiDir, "uki_v1.efi.extra.d")));
        Assert.True(Directory.Exists(Path.Combine(_s.Dirs, "dir-v1")));

        // 4: a version whose addon is missing at the source is never offered.
        _s.NewVersion("v4", withExtra: false);
        var check = await _s.RunAsync("check-new");
        Assert.Equal(1, check.ExitCode);

        // 5: v5 is complete and skips v4; the directory target now drops dir-v1 (InstancesMax=3).
        _s.NewVersion("v5");
        await UpdateNowAsync("v5");
        _s.AssertInstalled("v5");
        Assert.False(Directory.Exists(Path.Combine(_s.Dirs, "dir-v1")));
        Assert.False(Directory.Exists(Path.Combine(_s.Dirs, "dir-v4")));

        // 6: an installed version that lost a file is incomplete, and update repairs it.
        Directory.Delete(Path.Combine(_s.UkiDir, "uki_v5.efi.extra.d"), recursive: true);
        var incomplete = await _s.RunAsync("--offline", "list", "v5");
        Assert.True(incomplete.ExitCode == 0, incomplete.ToString());
        Assert.Contains("incomplete", incomplete.Stdout);
        var repair = await _s.RunAsync("update");
        Assert.True(repair.ExitCode == 0, repair.ToString());
        _s.AssertInstalled("v5");

        // 7: the optional feature, enabled by a drop-in, installs its file.
        var features = await _s.RunAsync("features");
        Assert.Contains("optional", features.Stdout);
        var feature = await _s.RunAsync("features", "optional");
        Assert.Contains("99-optional", feature.Stdout);
        Directory.CreateDirectory(Path.Combine(_s.Definitions, "optional.feature.d"));
        _s.Write("optional.feature.d/enable.conf", "[Feature]\nEnabled=true");
        var enabled = await _s.RunAsync("update");
        Assert.True(enabled.ExitCode == 0, enabled.ToString());
        Assert.True(File.Exists(Path.Combine(_s.UkiDir, "uki_v5.efi.extra.d/optional.efi")));

        // 8: disabling it again offers nothing, and vacuum removes what it installed.
        File.Delete(Path.Combine(_s.Definitions, "optional.feature.d/enable.conf"));
        Assert.Equal(1, (await _s.RunAsync("check-new")).ExitCode);
        var vacuum = await _s.RunAsync("vacuum");
        Assert.True(vacuum.ExitCode == 0, vacuum.ToString());
        Assert.False(File.Exists(Path.Combine(_s.UkiDir, "uki_v5.efi.extra.d/optional.efi")));
        _s.AssertInstalled("v5");
    }

    [Fact]
    public async Task List_shows_every_version_with_its_assessment()
    {
        _s.NewVersion("v1");
        await UpdateNowAsync("v1");
        _s.NewVersion("v2");

        var list = await _s.RunAsync("list");
        Assert.True(list.ExitCode == 0, list.ToString());
        var lines = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("v2") && l.EndsWith("candidate"));
        Assert.Contains(lines, l => l.Contains("v1") && l.EndsWith("current"));

        var json = await _s.RunAsync("--json=short", "list");
        Assert.Equal("{\"current\":\"v1\",\"all\":[\"v2\",\"v1\"],\"appstreamUrls\":[]}", json.Stdout.Trim());
    }

    [Fact]
    public async Task A_broken_definition_is_one_clear_line_naming_file_line_and_key()
    {
        _s.NewVersion("v1");
        _s.Write("05-fifth.transfer", "[Source]\nType=regular-file\nPath=/x\nMatchPattern=uki-@q.efi\n\n[Target]\nType=regular-file\nPath=/y\n");

        var result = await _s.RunAsync("update");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("image-update: error: ", line);
        Assert.Contains("05-fifth.transfer:4: MatchPattern:", line);
        Assert.False(Directory.Exists(_s.Dirs));
    }

    [Fact]
    public async Task A_value_systemd_would_drop_with_a_warning_stops_the_run()
    {
        _s.NewVersion("v1");
        var text = File.ReadAllText(Path.Combine(_s.Definitions, "03-third.transfer"));
        _s.Write("03-third.transfer", "[Transfer]\nProtectVersion=%Q\n\n" + text);

        var result = await _s.RunAsync("update");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("03-third.transfer:2: ProtectVersion:", result.Stderr);
        Assert.False(Directory.Exists(_s.Dirs));
    }

    [Fact]
    public async Task An_unknown_key_is_only_a_warning_so_newer_definitions_still_load()
    {
        _s.NewVersion("v1");
        var text = File.ReadAllText(Path.Combine(_s.Definitions, "03-third.transfer"));
        _s.Write("03-third.transfer", "[Transfer]\nSomeFutureKey=1\n\n" + text);

        var result = await _s.RunAsync("update");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("SomeFutureKey", result.Stderr);
        _s.AssertInstalled("v1");
    }
}
