using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// kill -9 of `image-update update` at every step of the sequence (vacuum, partial write, pending,
/// per-transfer acquire, per-transfer install): the previous version stays whole and usable, and a
/// rerun finishes the update. The kill is a real SIGKILL the process sends itself at the named
/// point (IMAGE_UPDATE_TEST_CRASH_AT), so the points are exact instead of timing-dependent.
/// </summary>
public sealed class CrashSafetyTests : IDisposable
{
    private readonly Test72Scenario _s = new();

    public void Dispose() => _s.Dispose();

    [Theory]
    [InlineData("after-vacuum")]
    [InlineData("after-partial-write")]
    [InlineData("after-partial-write:4")]
    [InlineData("after-pending")]
    [InlineData("after-acquire-transfer:1")]
    [InlineData("after-acquire-transfer:6")]
    [InlineData("after-install-rename:1")]
    [InlineData("after-install-rename:2")]
    [InlineData("after-install-rename:5")]
    public async Task A_kill_at_any_point_keeps_the_old_version_and_a_rerun_completes(string point)
    {
        _s.NewVersion("v1");
        Assert.Equal(0, (await _s.RunAsync("update")).ExitCode);
        _s.NewVersion("v2");

        var crashed = await ImageUpdateProcess.RunAsync(
            new Dictionary<string, string?>(_s.Environment) { ["IMAGE_UPDATE_TEST_CRASH_AT"] = point },
            "--definitions", _s.Definitions, "update");
        Assert.True(crashed.ExitCode == 137, crashed.ToString());

        // The old version is whole, and what `current` points at is a whole version.
        _s.AssertInstalled("v1", current: false);
        var current = Path.GetFileName(Directory.ResolveLinkTarget(Path.Combine(_s.Dirs, "current"), returnFinalTarget: false)!.FullName);
        Assert.Contains(current, new[] { "dir-v1", "dir-v2" });
        Assert.True(File.Exists(Path.Combine(_s.Dirs, "current", "foo.txt")));

        var rerun = await _s.RunAsync("update");
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        _s.AssertInstalled("v2");
        _s.AssertInstalled("v1", current: false);
        Assert.Equal(1, (await _s.RunAsync("check-new")).ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_s.Work, "*sysupdate*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_kill_between_the_last_rename_and_the_symlink_swap_is_repaired_by_the_rerun()
    {
        // Only the directory transfer (with CurrentSymlink=) remains: its install is the last step.
        foreach (var other in new[] { "04-fourth", "05-fifth", "06-sixth", "07-seventh", "08-eighth", "99-optional" })
        {
            File.Delete(Path.Combine(_s.Definitions, other + ".transfer"));
        }

        _s.NewVersion("v1");
        Assert.Equal(0, (await _s.RunAsync("update")).ExitCode);
        _s.NewVersion("v2");
        var crashed = await ImageUpdateProcess.RunAsync(
            new Dictionary<string, string?>(_s.Environment) { ["IMAGE_UPDATE_TEST_CRASH_AT"] = "after-install-rename" },
            "--definitions", _s.Definitions, "update");
        Assert.Equal(137, crashed.ExitCode);
        Assert.Equal("foo v1\n", File.ReadAllText(Path.Combine(_s.Dirs, "current", "foo.txt")));

        var rerun = await _s.RunAsync("update");

        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Equal("foo v2\n", File.ReadAllText(Path.Combine(_s.Dirs, "current", "foo.txt")));
    }

    [Fact]
    public async Task A_kill_mid_write_inside_a_pattern_subdirectory_leaves_nothing_after_the_rerun()
    {
        _s.NewVersion("v1");
        Assert.Equal(0, (await _s.RunAsync("update")).ExitCode);
        _s.NewVersion("v2");

        // The third write is 05-fifth's addon, inside uki_v2.efi.extra.d/.
        var crashed = await ImageUpdateProcess.RunAsync(
            new Dictionary<string, string?>(_s.Environment) { ["IMAGE_UPDATE_TEST_CRASH_AT"] = "after-partial-write:3" },
            "--definitions", _s.Definitions, "update");
        Assert.Equal(137, crashed.ExitCode);
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(_s.UkiDir, ".#*", SearchOption.AllDirectories));

        _s.NewVersion("v3");
        var rerun = await _s.RunAsync("update");

        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        _s.AssertInstalled("v3");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_s.Work, "*sysupdate*", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(Path.Combine(_s.UkiDir, "uki_v2.efi.extra.d")));
    }
}
