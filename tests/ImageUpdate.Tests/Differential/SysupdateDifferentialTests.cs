using System.Text.Json;
using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;
using Xunit.Abstractions;

namespace ImageUpdate.Tests.Differential;

/// <summary>
/// The same definitions and the same files, judged by image-update and by the real
/// systemd-sysupdate 257: `check-new` must give the same answer, `list` the same versions with the
/// same current one, and `list VERSION` the same assessment flags for every version. Where 257 has
/// a bug upstream main has since fixed, the test says so and expects main's answer.
/// </summary>
public sealed class SysupdateDifferentialTests(ITestOutputHelper output)
{
    public static TheoryData<string> Scenarios => new(ScenarioBuilders.Keys);

    private static readonly Dictionary<string, Action<DifferentialScenario>> ScenarioBuilders = new()
    {
        ["nothing installed, three versions"] = s => s.Standard().Available("1.0").Available("1.1").Available("2.0"),
        ["newest installed"] = s => s.Standard().Available("1.0").Available("2.0").Installed("1.0").Installed("2.0", "uki_{0}+3-0.efi"),
        ["older installed, newer available"] = s => s.Standard().Available("1.0").Available("2.0").Installed("1.0"),
        ["blessed and counted UKIs"] = s => s.Standard().Available("3").Installed("1", "uki_{0}+0-3.efi").Installed("2", "uki_{0}+2-1.efi"),
        ["a version missing one source file is never offered"] = s => s.Standard().Available("1").Installed("1")
            .With("source/rootfs_2.raw", "source/tree_2/", "source/app_2.tar.gz"),
        ["installed but incomplete, repaired when available"] = s => s.Standard().Available("5").Available("4").Installed("4")
            .With("files/rootfs_5.img", "dirs/tree_5/", "trees/app_5/"),
        ["installed but incomplete, not available"] = s => s.Standard().Available("4").Installed("4")
            .With("files/rootfs_5.img", "dirs/tree_5/"),
        ["version ordering: tilde, caret, multi-digit"] = s => s.Standard()
            .Available("1.9").Available("1.10").Available("1.10~rc1").Available("1.10^post1").Installed("1.9"),
        ["protected and obsolete"] = s => s.Standard().Available("1").Available("2").Available("3").Installed("1").Installed("2")
            .Transfer("05-rules.transfer", """
                [Transfer]
                MinVersion=2
                ProtectVersion=1

                [Source]
                Type=regular-file
                Path=@W@/source
                MatchPattern=extra_@v.bin

                [Target]
                Type=regular-file
                Path=@W@/files
                MatchPattern=extra_@v.bin
                """)
            .With("source/extra_1.bin", "source/extra_2.bin", "source/extra_3.bin", "files/extra_1.bin", "files/extra_2.bin"),
        ["a disabled feature's transfer is ignored"] = s => s.Standard().Available("1").Available("2").Installed("1")
            .Transfer("optional.feature", "[Feature]\nDescription=Optional")
            .Transfer("99-optional.transfer", """
                [Transfer]
                Features=optional

                [Source]
                Type=regular-file
                Path=@W@/source
                MatchPattern=optional_@v.efi

                [Target]
                Type=regular-file
                Path=@W@/files
                MatchPattern=optional_@v.efi
                """),
        ["an enabled feature's transfer must be complete too"] = s => s.Standard().Available("1").Available("2").Installed("1")
            .Transfer("optional.feature", "[Feature]\nEnabled=yes")
            .Transfer("99-optional.transfer", """
                [Transfer]
                Features=optional

                [Source]
                Type=regular-file
                Path=@W@/source
                MatchPattern=optional_@v.efi

                [Target]
                Type=regular-file
                Path=@W@/files
                MatchPattern=optional_@v.efi
                """)
            .With("source/optional_1.efi"),
        ["files under .conf names, without any .transfer"] = s => s
            .Transfer("01-only.conf", """
                [Source]
                Type=regular-file
                Path=@W@/source
                MatchPattern=part1-@v.raw

                [Target]
                Type=regular-file
                Path=@W@/files
                MatchPattern=part1-@v
                """)
            .With("source/part1-v1.raw", "source/part1-v2.raw", "files/part1-v1"),
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Both_tools_judge_the_same_state_alike(string scenario)
    {
        var oracle = SysupdateOracle.ForTest(output);
        if (oracle is null)
        {
            return;
        }

        using var s = new DifferentialScenario();
        ScenarioBuilders[scenario](s);
        await AssertSameJudgementAsync(oracle, s);
    }

    [Fact]
    public async Task A_name_that_only_starts_like_the_pattern_is_not_a_version()
    {
        // systemd #38605: 257 takes linux-3.erofs.caibx for version 3 of linux-@v.erofs; upstream
        // main (#41899) requires the whole name to match, and so do we.
        var oracle = SysupdateOracle.ForTest(output);
        if (oracle is null)
        {
            return;
        }

        using var s = new DifferentialScenario();
        s.Transfer("10-erofs.transfer", """
            [Source]
            Type=regular-file
            Path=@W@/source
            MatchPattern=linux-@v.erofs

            [Target]
            Type=regular-file
            Path=@W@/files
            MatchPattern=linux-@v.erofs
            """).With("source/linux-2.erofs", "source/linux-3.erofs.caibx", "files/linux-2.erofs");

        var theirs = await oracle.RunAsync(s.Work, s.Environment, "--definitions=" + s.Definitions, "check-new");
        var ours = await RunOursAsync(s, "check-new");
        output.WriteLine($"257: {theirs}\nours: {ours}");
        Assert.Equal("3\n", theirs.StandardOutput);
        Assert.Equal(1, ours.ExitCode);
        Assert.Equal("", ours.Stdout);
    }

    [Fact]
    public async Task An_older_available_version_is_not_called_candidate_when_a_newer_one_is_installed()
    {
        // 257 words the newest available set "candidate" even when a newer version is installed and
        // check-new offers nothing; upstream main (UPDATE_CANDIDATE) calls it "available", as we do.
        var oracle = SysupdateOracle.ForTest(output);
        if (oracle is null)
        {
            return;
        }

        using var s = new DifferentialScenario();
        s.Standard().Available("1").Installed("2");

        var theirs = await oracle.RunAsync(s.Work, s.Environment, "--definitions=" + s.Definitions, "--no-legend", "list");
        var ours = await RunOursAsync(s, "--no-legend", "list");
        output.WriteLine($"257: {theirs}\nours: {ours}");
        Assert.Matches(@"1\s.*candidate", theirs.StandardOutput);
        Assert.Matches(@"1\s.*available", ours.Stdout);
        Assert.Equal(1, (await RunOursAsync(s, "check-new")).ExitCode);
    }

    private async Task AssertSameJudgementAsync(SysupdateOracle oracle, DifferentialScenario s)
    {
        async Task<(int, string)> Theirs(params string[] args)
        {
            var r = await oracle.RunAsync(s.Work, s.Environment, ["--definitions=" + s.Definitions, .. args]);
            output.WriteLine($"257 {string.Join(' ', args)}: {r}");
            return (r.ExitCode, r.StandardOutput);
        }

        async Task<(int, string)> Ours(params string[] args)
        {
            var r = await RunOursAsync(s, args);
            output.WriteLine($"ours {string.Join(' ', args)}: {r}");
            return (r.ExitCode, r.Stdout);
        }

        Assert.Equal(await Theirs("check-new"), await Ours("check-new"));

        var theirList = JsonDocument.Parse((await Theirs("--json=short", "list")).Item2).RootElement;
        var ourList = JsonDocument.Parse((await Ours("--json=short", "list")).Item2).RootElement;
        Assert.Equal(theirList.GetProperty("all").ToString(), ourList.GetProperty("all").ToString());
        Assert.Equal(theirList.GetProperty("current").ToString(), ourList.GetProperty("current").ToString());

        foreach (var version in theirList.GetProperty("all").EnumerateArray().Select(v => v.GetString()!))
        {
            var theirs = JsonDocument.Parse((await Theirs("--json=short", "list", version)).Item2).RootElement;
            var ours = JsonDocument.Parse((await Ours("--json=short", "list", version)).Item2).RootElement;
            foreach (var flag in new[] { "newest", "available", "installed", "obsolete", "protected", "incomplete" })
            {
                Assert.True(theirs.GetProperty(flag).GetBoolean() == ours.GetProperty(flag).GetBoolean(), $"{version}: '{flag}' differs");
            }

            Assert.Equal(theirs.GetProperty("contents").GetArrayLength(), ours.GetProperty("contents").GetArrayLength());
        }
    }

    private static Task<RunResult> RunOursAsync(DifferentialScenario s, params string[] args) =>
        ImageUpdateProcess.RunAsync(s.Environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value), ["--definitions", s.Definitions, .. args]);
}
