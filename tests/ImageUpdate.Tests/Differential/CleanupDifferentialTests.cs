using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Differential;

/// <summary>
/// The `cleanup` verb, `--cleanup=` and the installation database below /var/lib/systemd/sysupdate/,
/// against systemd-sysupdate 262 (TEST-72's cleanup cases, under --root= so the database lands in the
/// work directory): the same files, the same database links (names and targets) after every step.
/// 262 is followed; 257 has neither the verb nor the database, which each test pins.
/// </summary>
public sealed class CleanupDifferentialTests(ITestOutputHelper output)
{
    public static TheoryData<int> Versions => new(SysupdateOracle.Versions);

    private const string Alpha = """
        [Source]
        Type=regular-file
        Path=/source
        MatchPattern=alpha-@v.bin

        [Target]
        Type=regular-file
        Path=/target
        MatchPattern=alpha-@v.bin
        MatchPattern=alpha-@v.img
        InstancesMax=2
        """;

    private const string Beta = """
        [Source]
        Type=directory
        Path=/source
        MatchPattern=beta-@v

        [Target]
        Type=directory
        Path=/target/
        MatchPattern=beta-@v
        InstancesMax=2
        """;

    private const string Database = "var/lib/systemd/sysupdate/installdb";

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Installs_are_recorded_and_cleanup_removes_what_no_transfer_owns_any_more(int version)
    {
        var oracle = SysupdateOracle.ForTest(output, version);
        if (oracle is null)
        {
            return;
        }

        using var theirs = new World();
        using var ours = new World();
        foreach (var w in new[] { theirs, ours })
        {
            w.Transfer("01-alpha.transfer", Alpha).Transfer("02-beta.transfer", Beta).NewVersion("v1");
        }

        if (version < SysupdateOracle.Followed)
        {
            // 257 keeps no database and knows no 'cleanup' verb.
            Assert.Equal(0, (await theirs.RunAsync(oracle, "--verify=no", "update")).ExitCode);
            Assert.Contains("target/alpha-v1.bin file 644", SysupdateDifferentialTests.Tree(theirs.Root));
            Assert.False(Directory.Exists(theirs[Database]));
            Assert.NotEqual(0, (await theirs.RunAsync(oracle, "cleanup")).ExitCode);
            return;
        }

        await BothAsync(oracle, theirs, ours, 0, "--verify=no", "update");
        foreach (var w in new[] { theirs, ours })
        {
            w.NewVersion("v2");
        }

        await BothAsync(oracle, theirs, ours, 0, "--verify=no", "update");
        // One link per target pattern, named by the SHA-256 of its target "/target/./PATTERN".
        Assert.Equal(
            ["/target/./alpha-@v.bin", "/target/./alpha-@v.img", "/target/./beta-@v"],
            ours.DatabaseTargets());
        Assert.Contains("target/beta-v2/two.txt file 644", SysupdateDifferentialTests.Tree(ours.Root));

        // Every file still owned: none goes. A record that matches no file (alpha-@v.img) goes, as
        // in 262: a record is kept only while something it matches is kept.
        await BothAsync(oracle, theirs, ours, 0, "cleanup");
        Assert.Equal(["/target/./alpha-@v.bin", "/target/./beta-@v"], ours.DatabaseTargets());
        Assert.Contains("target/alpha-v1.bin file 644", SysupdateDifferentialTests.Tree(ours.Root));

        // The beta transfer goes: its directories (with their contents) and its record go too.
        theirs.RemoveTransfer("02-beta.transfer");
        ours.RemoveTransfer("02-beta.transfer");
        await BothAsync(oracle, theirs, ours, 0, "cleanup");
        Assert.DoesNotContain(SysupdateDifferentialTests.Tree(ours.Root), e => e.StartsWith("target/beta", StringComparison.Ordinal));
        Assert.Equal(["/target/./alpha-@v.bin"], ours.DatabaseTargets());

        // No transfer at all: every recorded file is an orphan, and the database ends empty.
        theirs.RemoveTransfer("01-alpha.transfer");
        ours.RemoveTransfer("01-alpha.transfer");
        await BothAsync(oracle, theirs, ours, 0, "cleanup");
        Assert.Empty(ours.DatabaseTargets());
        Assert.DoesNotContain(SysupdateDifferentialTests.Tree(ours.Root), e => e.StartsWith("target/alpha", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Cleanup_option_cleans_up_after_update_and_acquire_only_when_yes(int version)
    {
        var oracle = SysupdateOracle.ForTest(output, version);
        if (oracle is null)
        {
            return;
        }

        using var theirs = new World();
        using var ours = new World();
        foreach (var w in new[] { theirs, ours })
        {
            w.Transfer("01-alpha.transfer", Alpha).Transfer("02-beta.transfer", Beta).NewVersion("v1");
        }

        if (version < SysupdateOracle.Followed)
        {
            // 257 does not know the option.
            Assert.NotEqual(0, (await theirs.RunAsync(oracle, "--verify=no", "--cleanup=yes", "update")).ExitCode);
            return;
        }

        await BothAsync(oracle, theirs, ours, 0, "--verify=no", "update", "--cleanup=yes");

        // The beta transfer goes; --cleanup=no (the default) leaves its directory and record.
        foreach (var w in new[] { theirs, ours })
        {
            w.RemoveTransfer("02-beta.transfer");
            w.NewVersion("v2");
        }

        await BothAsync(oracle, theirs, ours, 0, "--verify=no", "acquire", "--cleanup=no");
        Assert.Contains("/target/./beta-@v", ours.DatabaseTargets());
        Assert.Contains(SysupdateDifferentialTests.Tree(ours.Root), e => e.StartsWith("target/beta-v1 dir", StringComparison.Ordinal));

        // acquire --cleanup=yes cleans up too, with the acquired copy still pending.
        await BothAsync(oracle, theirs, ours, 0, "--verify=no", "acquire", "--cleanup=yes");
        Assert.DoesNotContain(SysupdateDifferentialTests.Tree(ours.Root), e => e.StartsWith("target/beta", StringComparison.Ordinal));
        Assert.Equal(["/target/./alpha-@v.bin"], ours.DatabaseTargets());

        // A transfer redefined away from the installed files: update --cleanup=yes removes them, with
        // nothing to install, and list, which ignores the option, changes nothing.
        foreach (var w in new[] { theirs, ours })
        {
            w.Transfer("01-alpha.transfer", Alpha.Replace("alpha-", "gamma-", StringComparison.Ordinal));
        }

        await BothAsync(oracle, theirs, ours, 0, "--verify=no", "--cleanup=yes", "--offline", "list");
        Assert.Contains(SysupdateDifferentialTests.Tree(ours.Root), e => e.StartsWith("target/alpha-v1.bin", StringComparison.Ordinal));
        await BothAsync(oracle, theirs, ours, 0, "--verify=no", "update", "--cleanup=yes");
        Assert.DoesNotContain(SysupdateDifferentialTests.Tree(ours.Root), e => e.StartsWith("target/alpha", StringComparison.Ordinal));
        Assert.Empty(ours.DatabaseTargets());

        // Contradictory, refused by both (262 exits 1 as for any error; ours 2, a usage error).
        var theirRefusal = await theirs.RunAsync(oracle, "--cleanup=no", "cleanup");
        var ourRefusal = await ours.RunOursAsync("--cleanup=no", "cleanup");
        Assert.NotEqual(0, theirRefusal.ExitCode);
        Assert.NotEqual(0, ourRefusal.ExitCode);
        Assert.Contains("Invocation of 'cleanup' with --cleanup=no is contradictory, refusing.", theirRefusal.Stderr, StringComparison.Ordinal);
        Assert.Contains("Invocation of 'cleanup' with --cleanup=no is contradictory, refusing.", ourRefusal.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Unsound_database_entries_are_expunged_and_a_linked_directory_is_refused(int version)
    {
        var oracle = SysupdateOracle.ForTest(output, version);
        if (oracle is null || version < SysupdateOracle.Followed)
        {
            return; // 257 has no database (pinned above).
        }

        using var theirs = new World();
        using var ours = new World();
        foreach (var w in new[] { theirs, ours })
        {
            w.Transfer("01-alpha.transfer", Alpha).NewVersion("v1");
            w.File("elsewhere/x-1", "not ours");
            w.File("target/x-1", "orphan");
            Directory.CreateSymbolicLink(w["linked"], "/elsewhere");
            w.Entry("0000000000000000000000000000000000000000000000000000000000000000", "/target/./x-@v");
            w.Entry(null, "/target/../elsewhere/./x-@v");
            w.Entry(null, "/target//./x-@v");
            w.Entry(null, "/target-without-separator");
            w.Entry(null, "relative/./x-@v");
            w.Entry(null, "/missing/./x-@v");
            w.Entry(null, "/target/./x-@v");
            w.Entry(null, "/linked/./x-@v");
            w.File(Database + "/not-a-link", "ignored");
        }

        // The link in '/linked' fails the run (entry kept); everything else is done first.
        await BothAsync(oracle, theirs, ours, 1, "cleanup");
        var tree = SysupdateDifferentialTests.Tree(ours.Root);
        Assert.Contains("elsewhere/x-1 file 644", tree);
        Assert.DoesNotContain("target/x-1 file 644", tree);
        Assert.Equal(["/linked/./x-@v"], ours.DatabaseTargets());
        Assert.Contains("not-a-link", string.Join('\n', tree), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cleanup_of_all_components_reaches_those_whose_transfers_are_gone()
    {
        var oracle = SysupdateOracle.ForTest(output, SysupdateOracle.Followed);
        if (oracle is null)
        {
            return;
        }

        using var theirs = new World();
        using var ours = new World();
        foreach (var w in new[] { theirs, ours })
        {
            foreach (var c in new[] { "comp-a", "comp-b" })
            {
                w.File($"etc/sysupdate.{c}.d/01-{c}.transfer", $"""
                    [Source]
                    Type=regular-file
                    Path=/source
                    MatchPattern={c}-@v.bin

                    [Target]
                    Type=regular-file
                    Path=/target-{c[^1]}
                    MatchPattern={c}-@v.bin
                    InstancesMax=1

                    """);
                w.File($"source/{c}-v1.bin", c);
                Directory.CreateDirectory(w[$"target-{c[^1]}"]);
            }
        }

        await BothAsync(oracle, theirs, ours, 0, "--component=comp-a", "--verify=no", "update");
        await BothAsync(oracle, theirs, ours, 0, "--component=comp-b", "--verify=no", "update");
        Assert.Contains("target-a/comp-a-v1.bin file 644", SysupdateDifferentialTests.Tree(ours.Root));

        // Everything still owned: a no-op.
        await BothAsync(oracle, theirs, ours, 0, "--component-all", "cleanup");
        Assert.Contains("target-b/comp-b-v1.bin file 644", SysupdateDifferentialTests.Tree(ours.Root));

        // Both components lose their transfers: one cleanup of all removes both files and empties both databases.
        foreach (var w in new[] { theirs, ours })
        {
            System.IO.File.Delete(w["etc/sysupdate.comp-a.d/01-comp-a.transfer"]);
            System.IO.File.Delete(w["etc/sysupdate.comp-b.d/01-comp-b.transfer"]);
        }

        await BothAsync(oracle, theirs, ours, 0, "--component-all", "cleanup");
        var tree = SysupdateDifferentialTests.Tree(ours.Root);
        Assert.DoesNotContain(tree, e => e.StartsWith("target-a/comp-a", StringComparison.Ordinal) || e.StartsWith("target-b/comp-b", StringComparison.Ordinal));
        Assert.DoesNotContain(tree, e => e.StartsWith(Database + ".comp-", StringComparison.Ordinal) && e.Contains(" -> ", StringComparison.Ordinal));

        // -S and -a are refused on cleanup, as -A is on vacuum.
        foreach (var args in new[] { new[] { "--component-suggested", "cleanup" }, ["--feature-all", "cleanup"], ["--component-all", "vacuum"] })
        {
            var their = await theirs.RunAsync(oracle, args);
            var our = await ours.RunOursAsync(args);
            Assert.NotEqual(0, their.ExitCode);
            Assert.NotEqual(0, our.ExitCode);
            Assert.Contains(their.Stderr.Trim().Split('\n')[^1], our.Stderr, StringComparison.Ordinal);
        }
    }

    private async Task BothAsync(SysupdateOracle oracle, World theirs, World ours, int exitCode, params string[] args)
    {
        var their = await theirs.RunAsync(oracle, args);
        var our = await ours.RunOursAsync(args);
        output.WriteLine($"$ {string.Join(' ', args)}\n{oracle.Major}: {their}\nours: {our}");
        Assert.Equal(exitCode, their.ExitCode);
        Assert.Equal(exitCode, our.ExitCode);
        Assert.Equal(SysupdateDifferentialTests.Tree(theirs.Root), SysupdateDifferentialTests.Tree(ours.Root));
    }

    /// <summary>A root with sysupdate.d, a source and a target directory, the oracle's work directory its parent.</summary>
    private sealed class World : IDisposable
    {
        private readonly TempDirectory _dir = new("image-update-cleanup-");

        public World()
        {
            Directory.CreateDirectory(this["etc/sysupdate.d"]);
            Directory.CreateDirectory(this["source"]);
            Directory.CreateDirectory(this["target"]);
        }

        public string Root => _dir["root"];

        public string this[string relative] => Path.Combine(Root, relative);

        public World Transfer(string name, string text)
        {
            System.IO.File.WriteAllText(this["etc/sysupdate.d/" + name], text + "\n");
            return this;
        }

        public void RemoveTransfer(string name) => System.IO.File.Delete(this["etc/sysupdate.d/" + name]);

        public void File(string relative, string text)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(this[relative])!);
            System.IO.File.WriteAllText(this[relative], text);
        }

        /// <summary>A version of both payloads, with fixed contents so both worlds hold the same bytes.</summary>
        public void NewVersion(string version)
        {
            File($"source/alpha-{version}.bin", "alpha " + version);
            File($"source/beta-{version}/one.txt", "one " + version);
            File($"source/beta-{version}/two.txt", "two " + version);
        }

        /// <summary>A database link to <paramref name="value"/>, named <paramref name="key"/> or (null) rightly by its hash.</summary>
        public void Entry(string? key, string value)
        {
            Directory.CreateDirectory(this[Database]);
            Directory.CreateSymbolicLink(this[Database + "/" + (key ?? ImageUpdate.Model.InstallDatabase.InstallRecord.KeyOf(value))], value);
        }

        /// <summary>The targets of the database links, checking that each is named by its hash.</summary>
        public List<string> DatabaseTargets()
        {
            if (!Directory.Exists(this[Database]))
            {
                return [];
            }

            var targets = new List<string>();
            foreach (var link in new DirectoryInfo(this[Database]).EnumerateFileSystemInfos().Where(e => e.LinkTarget is not null))
            {
                targets.Add(link.LinkTarget!);
            }

            return [.. targets.Order(StringComparer.Ordinal)];
        }

        public Task<RunResult> RunAsync(SysupdateOracle oracle, params string[] args) =>
            oracle.RunAsync(_dir.Path, null, ["--root=" + Root, .. args]);

        public Task<RunResult> RunOursAsync(params string[] args) =>
            ImageUpdateProcess.RunAsync(null, ["--root=" + Root, .. args]);

        public void Dispose() => _dir.Dispose();
    }
}
