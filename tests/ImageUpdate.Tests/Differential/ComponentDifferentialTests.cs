using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Differential;

/// <summary>
/// Components, suggestions and phased rollouts against the real systemd-sysupdate 262 (257 has no
/// component files, Suggest= or SuggestOn*=, so these run against 262 only): the `components` and
/// `features` tables, SuggestOnFraction= on chosen machine IDs (262 reads /etc/machine-id of the
/// running system, bound over the chroot's; ours reads the file the test names), the drop-ins
/// enable-/disable-component write, and 262's refusals of -A/-S/-a/-s.
/// </summary>
public sealed class ComponentDifferentialTests(ITestOutputHelper output)
{
    private const string Transfer = "[Source]\nType=regular-file\nPath=/nonexistent\nMatchPattern=a_@v.raw\n[Target]\nType=regular-file\nPath=/nonexistent\nMatchPattern=a_@v.raw\n";

    // Machine IDs and fractions chosen so that both sides of every threshold occur (see the asserts).
    public static TheoryData<string, string> Rollouts => new()
    {
        { "1b8a1f5e0c6e4e0d9d1f6a2f3b4c5d6e", "50%" },
        { "1b8a1f5e0c6e4e0d9d1f6a2f3b4c5d6e", "roll 17.5%" },
        { "1b8a1f5e0c6e4e0d9d1f6a2f3b4c5d6e", "roll 17.48%" },
        { "4b67b061fe9543a6b31926880d256be5", "50%" },
        { "4b67b061fe9543a6b31926880d256be5", "roll 50%" },
        { "4b67b061fe9543a6b31926880d256be5", "roll 44.3%" },
        { "4b67b061fe9543a6b31926880d256be5", "roll 44.2%" },
        { "0123456789abcdef0123456789abcdef", "!roll 30%" },
        { "0123456789abcdef0123456789abcdef", "0%" },
        { "0123456789abcdef0123456789abcdef", "100%" },
    };

    private static TempDirectory Layout(string fraction)
    {
        var dir = new TempDirectory();
        void Write(string relative, string text)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir[relative])!);
            File.WriteAllText(dir[relative], text);
        }

        Write("root/usr/lib/sysupdate.d/10-a.transfer", Transfer);
        Write("root/usr/lib/sysupdate.fw.d/10-a.transfer", Transfer);
        Write("root/usr/lib/sysupdate.web.d/10-a.transfer", Transfer);
        Write("root/usr/lib/sysupdate.web.component",
            $"[Component]\nDescription=WebApp Container Image\nDocumentation=https://docs.example.com/webapp\nEnabled=false\nSuggestOnFraction={fraction}\n");
        Write("root/usr/lib/sysupdate.d/opt.feature", "[Feature]\nDescription=Optional\nSuggest=yes\n");
        Write("root/usr/lib/sysupdate.d/broken.feature", "[Feature]\nDescription=Broken\nSuggestOnFirmware=smbios-field(malformed)\n");
        Write("root/usr/lib/sysupdate.d/phased.feature", $"[Feature]\nDescription=Phased\nSuggestOnFraction={fraction}\nSuggestOnArchitecture=|native\n");
        return dir;
    }

    [Theory]
    [MemberData(nameof(Rollouts))]
    public async Task Components_and_features_show_the_rollout_262_computes_for_the_machine_id(string machineId, string fraction)
    {
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        using var dir = Layout(fraction);
        File.WriteAllText(dir["machine-id"], machineId + "\n");
        var theirEnv = new Dictionary<string, string> { ["IMAGE_UPDATE_ORACLE_MACHINE_ID"] = dir["machine-id"] };
        var ourEnv = new Dictionary<string, string?> { ["IMAGE_UPDATE_TEST_MACHINE_ID_FILE"] = dir["machine-id"] };
        foreach (var args in new string[][] { ["components"], ["features"], ["--no-legend", "components"], ["features", "phased"], ["features", "broken"], ["--json=short", "features", "phased"], ["--json=short", "features", "broken"], ["--json=short", "components"] })
        {
            var theirs = await oracle.RunAsync(dir.Path, theirEnv, ["--root=" + dir["root"], .. args]);
            var ours = await ImageUpdateProcess.RunAsync(ourEnv, ["--root=" + dir["root"], .. args]);
            output.WriteLine($"{string.Join(' ', args)}\n262: {theirs}\nours: {ours}");
            Assert.Equal(0, theirs.ExitCode);
            Assert.Equal(0, ours.ExitCode);
            // 262 lists features in its hash table's order; image-update sorts them by name.
            Assert.Equal(theirs.Stdout.Split('\n').Order(StringComparer.Ordinal), ours.Stdout.Split('\n').Order(StringComparer.Ordinal));
        }

        // The rollout itself, as 262 decided it, so the rows above cover both outcomes.
        var row = (await ImageUpdateProcess.RunAsync(ourEnv, "--root=" + dir["root"], "--no-legend", "components")).Stdout
            .Split('\n').Single(l => l.Contains(" web ", StringComparison.Ordinal));
        var expected = (machineId, fraction) switch
        {
            ("1b8a1f5e0c6e4e0d9d1f6a2f3b4c5d6e", "50%" or "roll 17.5%") => true,
            ("4b67b061fe9543a6b31926880d256be5", "roll 50%" or "roll 44.3%") => true,
            (_, "100%") => true,
            ("0123456789abcdef0123456789abcdef", "!roll 30%") => Expected(machineId, "roll", 3000, negate: true),
            _ => false,
        };
        Assert.StartsWith($"{Glyph(false)} {Glyph(expected)}", row, StringComparison.Ordinal);
    }

    private static bool Expected(string machineId, string tag, int permyriad, bool negate) =>
        (ImageUpdate.Model.Conditions.ConditionEvaluator.FractionPoint(Convert.FromHexString(machineId), tag)
            < ImageUpdate.Model.Conditions.SystemdPermyriad.ScaleToUInt32(permyriad)) != negate;

    private static string Glyph(bool value) => value ? "✓" : "✗";

    [Theory]
    [InlineData("enable-component", "web")]
    [InlineData("disable-component", "web")]
    [InlineData("-S", "enable-component")]
    [InlineData("-A", "disable-component")]
    [InlineData("-C", "fw", "enable-component")]
    [InlineData("-s", "enable-feature")]
    [InlineData("-a", "disable-feature")]
    public async Task Switching_writes_the_drop_ins_262_writes(params string[] args)
    {
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        using var theirs = Layout("50%");
        using var ours = Layout("50%");
        File.WriteAllText(theirs["machine-id"], "1b8a1f5e0c6e4e0d9d1f6a2f3b4c5d6e\n");
        File.WriteAllText(ours["machine-id"], "1b8a1f5e0c6e4e0d9d1f6a2f3b4c5d6e\n");
        var theirRun = await oracle.RunAsync(theirs.Path, new Dictionary<string, string> { ["IMAGE_UPDATE_ORACLE_MACHINE_ID"] = theirs["machine-id"] }, ["--root=" + theirs["root"], .. args]);
        var ourRun = await ImageUpdateProcess.RunAsync(new Dictionary<string, string?> { ["IMAGE_UPDATE_TEST_MACHINE_ID_FILE"] = ours["machine-id"] }, ["--root=" + ours["root"], .. args]);
        output.WriteLine($"262: {theirRun}\nours: {ourRun}");
        Assert.Equal(0, theirRun.ExitCode);
        Assert.Equal(0, ourRun.ExitCode);
        Assert.Equal(theirRun.Stderr.Split('\n').Order(StringComparer.Ordinal), ourRun.Stderr.Split('\n').Order(StringComparer.Ordinal));
        Assert.Equal(DropIns(theirs["root"]), DropIns(ours["root"]));
        Assert.NotEmpty(DropIns(ours["root"]));

        // And what the listing makes of them.
        var theirList = await oracle.RunAsync(theirs.Path, null, "--root=" + theirs["root"], "--no-legend", "components");
        var ourList = await ImageUpdateProcess.RunAsync(null, "--root=" + ours["root"], "--no-legend", "components");
        Assert.Equal(theirList.Stdout.Split('\n').Select(l => l.Length > 0 ? l[0] : ' '), ourList.Stdout.Split('\n').Select(l => l.Length > 0 ? l[0] : ' '));
    }

    // The drop-in files and their settings (the comment line names the program, so it differs).
    private static List<string> DropIns(string root) =>
        Directory.Exists(Path.Combine(root, "etc"))
            ? [.. Directory.EnumerateFiles(Path.Combine(root, "etc"), "*.conf", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal)
                .Select(f => Path.GetRelativePath(root, f) + ": " + string.Join('|', File.ReadAllLines(f).Where(l => !l.StartsWith('#'))))]
            : [];

    [Theory]
    [InlineData("-A", "list")]
    [InlineData("-S", "list")]
    [InlineData("-a", "list")]
    [InlineData("-s", "check-new")]
    [InlineData("-A", "components")]
    [InlineData("-a", "features")]
    [InlineData("-S", "vacuum")]
    [InlineData("-a", "enable-component", "web")]
    [InlineData("-C", "web", "enable-component", "fw")]
    [InlineData("-a", "enable-feature", "opt")]
    [InlineData("enable-component", "nosuch")]
    [InlineData("enable-component")]
    [InlineData("-C", "web", "update")]
    [InlineData("enable-feature", "bad/name")]
    [InlineData("enable-feature", "nosuch")]
    [InlineData("-S", "acquire")]
    [InlineData("-S", "enable-feature")]
    [InlineData("--feature-all", "enable-feature", "opt")]
    public async Task Selections_are_refused_where_262_refuses_them(params string[] args)
    {
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        using var dir = Layout("50%");
        var theirs = await oracle.RunAsync(dir.Path, null, ["--root=" + dir["root"], .. args]);
        var ours = await ImageUpdateProcess.RunAsync(null, ["--root=" + dir["root"], .. args]);
        output.WriteLine($"262: {theirs}\nours: {ours}");
        Assert.NotEqual(0, theirs.ExitCode);
        Assert.NotEqual(0, ours.ExitCode);
        Assert.Equal(theirs.Stderr.Trim(), ours.Stderr.Replace("image-update: error: ", "", StringComparison.Ordinal).Trim());
        Assert.False(Directory.Exists(dir["root/etc"]));
    }

    // TEST-72's --component-all update: every component updated in one run, a disabled one skipped,
    // one without transfers failing the run after the others were done.
    [Fact]
    public async Task Update_with_component_all_updates_every_enabled_component_as_262_does()
    {
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        using var theirs = Components();
        using var ours = Components();
        async Task Both(int exitCode, params string[] args)
        {
            var theirRun = await oracle.RunAsync(theirs.Path, null, ["--root=" + theirs["root"], "--verify=no", .. args]);
            var ourRun = await ImageUpdateProcess.RunAsync(null, ["--root=" + ours["root"], "--verify=no", .. args]);
            output.WriteLine($"{string.Join(' ', args)}\n262: {theirRun}\nours: {ourRun}");
            Assert.Equal(exitCode, theirRun.ExitCode);
            Assert.Equal(exitCode, ourRun.ExitCode);
            Assert.Equal(Tree(theirs["root"]), Tree(ours["root"]));
        }

        await Both(0, "-A", "update");
        Assert.Contains("tgt-compy/compy-v1.bin", Tree(ours["root"]));
        foreach (var dir in new[] { theirs, ours })
        {
            File.WriteAllText(dir["root/src/compx-v2.bin"], "x2");
            File.WriteAllText(dir["root/src/compy-v2.bin"], "y2");
        }

        await Both(0, "disable-component", "compy");
        await Both(0, "-A", "update");
        Assert.Contains("tgt-compx/compx-v2.bin", Tree(ours["root"]));
        Assert.DoesNotContain("tgt-compy/compy-v2.bin", Tree(ours["root"]));
        await Both(0, "-A", "-a", "enable-feature");
        Directory.CreateDirectory(theirs["root/usr/lib/sysupdate.empty.d"]);
        Directory.CreateDirectory(ours["root/usr/lib/sysupdate.empty.d"]);
        await Both(1, "-A", "acquire");
    }

    private static TempDirectory Components()
    {
        var dir = new TempDirectory();
        Directory.CreateDirectory(dir["root/src"]);
        foreach (var c in new[] { "compx", "compy" })
        {
            Directory.CreateDirectory(dir[$"root/usr/lib/sysupdate.{c}.d"]);
            Directory.CreateDirectory(dir[$"root/tgt-{c}"]);
            File.WriteAllText(dir[$"root/usr/lib/sysupdate.{c}.d/01.transfer"],
                $"[Transfer]\nFeatures=feat{c}\n[Source]\nType=regular-file\nPath=/src\nMatchPattern={c}-@v.bin\n[Target]\nType=regular-file\nPath=/tgt-{c}\nMatchPattern={c}-@v.bin\n");
            File.WriteAllText(dir[$"root/usr/lib/sysupdate.{c}.d/feat{c}.feature"], "[Feature]\nEnabled=yes\n");
            File.WriteAllText(dir[$"root/src/{c}-v1.bin"], c);
        }

        return dir;
    }

    private static List<string> Tree(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            // var/lib/systemd/sysupdate is 262's installation database (another part of issue 14).
            .Where(p => !p.Contains("/src", StringComparison.Ordinal) && !Path.GetRelativePath(root, p).StartsWith("var", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(root, p) + (File.Exists(p) && p.EndsWith(".conf", StringComparison.Ordinal) ? ": " + string.Join('|', File.ReadAllLines(p).Where(l => !l.StartsWith('#'))) : ""))
            .Order(StringComparer.Ordinal)];
}
