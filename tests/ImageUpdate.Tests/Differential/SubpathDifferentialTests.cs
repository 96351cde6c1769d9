using System.Security.Cryptography;
using System.Text;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Oracle;

namespace ImageUpdate.Tests.Differential;

/// <summary>
/// `**/` patterns, subdirectory entries in SHA256SUMS and PartitionZeroFill=, against systemd-sysupdate
/// 257 and 262 (the cases of 262's TEST-72-SYSUPDATE). 262 is followed: 257 refuses every manifest
/// entry with a '/' ("Invalid filename specified at manifest line N, refusing.") and does not know
/// PartitionZeroFill=; each test pins what 257 does too, so the difference stays a known one.
/// </summary>
public sealed class SubpathDifferentialTests(ITestOutputHelper output)
{
    public static TheoryData<int> Versions => new(SysupdateOracle.Versions);

    private const string Transfer = """
        [Source]
        Type={0}
        Path={1}
        MatchPattern={2}

        [Target]
        Type=regular-file
        Path=@W@/{3}
        MatchPattern={4}
        InstancesMax=2
        """;

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Subdirectory_entries_are_found_by_any_depth_and_subpath_patterns_and_installed_by_the_target_pattern(int version)
    {
        var oracle = SysupdateOracle.ForTest(output, version);
        if (oracle is null)
        {
            return;
        }

        using var theirs = Subpaths(null);
        using var ours = Subpaths(null);
        var theirList = await oracle.RunAsync(theirs.Work, theirs.Environment, "--definitions=" + theirs.Definitions, "--verify=no", "list");
        var ourList = await SysupdateDifferentialTests.RunOursAsync(ours, "--verify=no", "list");
        var theirUpdate = await oracle.RunAsync(theirs.Work, theirs.Environment, "--definitions=" + theirs.Definitions, "--verify=no", "update");
        var ourUpdate = await SysupdateDifferentialTests.RunOursAsync(ours, "--verify=no", "update");
        output.WriteLine($"{version} list: {theirList}\nours: {ourList}\n{version} update: {theirUpdate}\nours: {ourUpdate}");

        Assert.Equal(0, ourList.ExitCode);
        Assert.Equal(0, ourUpdate.ExitCode);
        var tree = SysupdateDifferentialTests.Tree(ours.Work);
        output.WriteLine(string.Join('\n', tree));
        // Version 11 is the newest all three transfers have: sub/glob_11.raw through '**/',
        // sub/sub_11.raw through 'sub/', x/y/local_11.raw on disk through '**/'. 12 is listed only
        // under other/, which 'sub/sub_@v.raw' does not match, and 10 only at the top level for it, so
        // list shows 11 alone (a version must be there for every transfer).
        Assert.Equal(["files/glob_11.img file 644", "files/sub_11.img file 644"], tree.Where(e => e.StartsWith("files/", StringComparison.Ordinal)));
        Assert.Equal(["dirs/local_11.img file 644"], tree.Where(e => e.StartsWith("dirs/", StringComparison.Ordinal)));
        Assert.Equal(File.ReadAllBytes(ours["source/url/sub/glob_11.raw"]), File.ReadAllBytes(ours["files/glob_11.img"]));
        Assert.Equal(File.ReadAllBytes(ours["source/url/sub/sub_11.raw"]), File.ReadAllBytes(ours["files/sub_11.img"]));
        Assert.Equal(File.ReadAllBytes(ours["source/local/x/y/local_11.raw"]), File.ReadAllBytes(ours["dirs/local_11.img"]));
        Assert.Equal(["11"], ourList.Stdout.Split('\n').Skip(1).Where(l => l.Length > 2).Select(l => l[2..].Split(' ')[0]));

        if (version == 257)
        {
            // 257 refuses the manifest (its url-file transfers), and with it the whole run.
            Assert.NotEqual(0, theirUpdate.ExitCode);
            Assert.Contains("Invalid filename specified at manifest line 1, refusing.", theirUpdate.Stderr, StringComparison.Ordinal);
            return;
        }

        Assert.Equal(0, theirList.ExitCode);
        Assert.Equal(0, theirUpdate.ExitCode);
        Assert.Equal(theirList.Stdout, ourList.Stdout);
        Assert.Equal(SysupdateDifferentialTests.Tree(theirs.Work), tree);
    }

    // TEST-72's pattern-order transfers: one pattern per repository layout (one directory per version,
    // or flat files), in either order, with and without '**/'; every transfer must install version v2.
    [Theory]
    [MemberData(nameof(Versions))]
    public async Task The_order_of_the_patterns_does_not_matter(int version)
    {
        var oracle = SysupdateOracle.ForTest(output, version);
        if (oracle is null)
        {
            return;
        }

        using var theirs = Layouts();
        using var ours = Layouts();
        var theirUpdate = await oracle.RunAsync(theirs.Work, theirs.Environment, "--definitions=" + theirs.Definitions, "--verify=no", "update");
        var ourUpdate = await SysupdateDifferentialTests.RunOursAsync(ours, "--verify=no", "update");
        output.WriteLine($"{version}: {theirUpdate}\nours: {ourUpdate}");

        Assert.Equal(0, ourUpdate.ExitCode);
        var tree = SysupdateDifferentialTests.Tree(ours.Work);
        output.WriteLine(string.Join('\n', tree));
        foreach (var target in new[] { "glob-last", "glob-first", "subdir-first" })
        {
            Assert.Equal(File.ReadAllBytes(ours["source/bundle-v2.raw"]), File.ReadAllBytes(ours[$"files/{target}/bundle-v2.raw"]));
        }

        Assert.Equal(File.ReadAllBytes(ours["source/pack-v2/image.raw"]), File.ReadAllBytes(ours["files/yes-and-retry/pack-v2"]));
        if (version == 257)
        {
            // 257 lets the first pattern that answers decide: a "descend" from the subdirectory
            // pattern hides the flat file from the later pattern, so v2 is not complete.
            Assert.DoesNotContain(SysupdateDifferentialTests.Tree(theirs.Work), e => e.StartsWith("files/glob-last/bundle-v2.raw", StringComparison.Ordinal));
            return;
        }

        Assert.Equal(0, theirUpdate.ExitCode);
        Assert.Equal(SysupdateDifferentialTests.Tree(theirs.Work), tree);
    }

    private static DifferentialScenario Layouts()
    {
        var s = new DifferentialScenario();
        s.Transfer("01-glob-last.transfer", Format("regular-file", "@W@/source", "bundle-@v/image.raw **/bundle-@v.raw", "files/glob-last", "bundle-@v.raw"))
            .Transfer("02-glob-first.transfer", Format("regular-file", "@W@/source", "**/bundle-@v.img bundle-@v.raw", "files/glob-first", "bundle-@v.raw"))
            .Transfer("03-subdir-first.transfer", Format("regular-file", "@W@/source", "bundle-@v/image.raw bundle-@v.raw", "files/subdir-first", "bundle-@v.raw"))
            .Transfer("04-yes-and-retry.transfer", Format("regular-file", "@W@/source", "pack-@v/image.raw pack-@v", "files/yes-and-retry", "pack-@v"))
            .With("source/bundle-v1/image.raw", "source/bundle-v2.raw", "source/pack-v1", "source/pack-v2/image.raw");
        foreach (var name in new[] { "source/bundle-v1/image.raw", "source/bundle-v2.raw", "source/pack-v1", "source/pack-v2/image.raw" })
        {
            File.SetUnixFileMode(s[name], (UnixFileMode)0x1A4); // 0644
        }

        foreach (var target in new[] { "glob-last", "glob-first", "subdir-first", "yes-and-retry" })
        {
            Directory.CreateDirectory(s["files/" + target]);
        }

        return s;
    }

    // A '..' in an entry, spelled out or percent-encoded (which a file:// or http:// fetch would decode
    // after the check), refuses the manifest: its transfer finds nothing, the run ends with an error
    // that says "Invalid filename" (as TEST-72 greps), and nothing is written.
    [Theory]
    [InlineData(262, "sub/nested/../")]
    [InlineData(262, "sub/nested/%2e%2e/")]
    [InlineData(262, "sub/%2E%2E/")]
    [InlineData(262, "./sub/")]
    [InlineData(262, "sub//")]
    [InlineData(257, "sub/nested/../")]
    [InlineData(257, "sub/nested/%2e%2e/")]
    public async Task A_dot_dot_entry_plain_or_percent_encoded_refuses_the_manifest(int version, string prefix)
    {
        var oracle = SysupdateOracle.ForTest(output, version);
        if (oracle is null)
        {
            return;
        }

        using var theirs = Subpaths(prefix);
        using var ours = Subpaths(prefix);
        var theirUpdate = await oracle.RunAsync(theirs.Work, theirs.Environment, "--definitions=" + theirs.Definitions, "--verify=no", "update");
        var ourUpdate = await SysupdateDifferentialTests.RunOursAsync(ours, "--verify=no", "update");
        output.WriteLine($"{version}: {theirUpdate}\nours: {ourUpdate}");

        Assert.NotEqual(0, theirUpdate.ExitCode);
        Assert.NotEqual(0, ourUpdate.ExitCode);
        Assert.Contains("Invalid filename specified at manifest line 1, refusing.", theirUpdate.Stderr, StringComparison.Ordinal);
        Assert.Contains("SHA256SUMS:1: Invalid filename \"" + prefix, ourUpdate.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(SysupdateDifferentialTests.Tree(ours.Work), e => e.StartsWith("files/", StringComparison.Ordinal));
        Assert.Equal(SysupdateDifferentialTests.Tree(theirs.Work), SysupdateDifferentialTests.Tree(ours.Work));
    }

    /// <param name="badPrefix">Null for the good manifest; else every subpath entry is rewritten to start with it.</param>
    private static DifferentialScenario Subpaths(string? badPrefix)
    {
        var s = new DifferentialScenario();
        s.Transfer("10-glob.transfer", Format("url-file", "file://@W@/source/url", "**/glob_@v.raw", "files", "glob_@v.img"))
            .Transfer("11-sub.transfer", Format("url-file", "file://@W@/source/url", "sub/sub_@v.raw", "files", "sub_@v.img"))
            .Transfer("12-local.transfer", Format("regular-file", "@W@/source/local", "**/local_@v.raw", "dirs", "local_@v.img"));

        // Large enough for 257's file:// pull (see RealDefinitionDifferentialTests.Modes).
        var names = new[] { "sub/glob_11.raw", "a/b/glob_10.raw", "glob_12.raw", "sub/sub_11.raw", "other/sub_12.raw", "sub_10.raw" };
        var sums = new StringBuilder();
        foreach (var name in names)
        {
            var bytes = RandomNumberGenerator.GetBytes(100_000);
            Directory.CreateDirectory(Path.GetDirectoryName(s["source/url/" + name])!);
            File.WriteAllBytes(s["source/url/" + name], bytes);
            var listed = badPrefix is not null && name.Contains('/', StringComparison.Ordinal) ? badPrefix + name[(name.IndexOf('/', StringComparison.Ordinal) + 1)..] : name;
            sums.Append(Convert.ToHexStringLower(SHA256.HashData(bytes))).Append("  ").Append(listed).Append('\n');
        }

        File.WriteAllText(s["source/url/SHA256SUMS"], sums.ToString());
        s.With("source/local/x/y/local_11.raw", "source/local/local_10.raw", "source/local/local_12.raw");
        foreach (var name in new[] { "source/local/x/y/local_11.raw", "source/local/local_10.raw", "source/local/local_12.raw" })
        {
            File.SetUnixFileMode(s[name], (UnixFileMode)0x1A4); // 0644
        }

        return s;
    }

    private static string Format(string type, string path, string sourcePattern, string directory, string targetPattern) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, Transfer, type, path, sourcePattern, directory, targetPattern);

    // TEST-72's test_zero_fill, on disk images (no loop device needed): two 64-sector slots, payloads
    // of 3000 and 32768 bytes, then one of 130 bytes into the first slot again. Whether the 2870 bytes
    // of the first payload behind it survive is what PartitionZeroFill= decides.
    [Theory]
    [InlineData(262, "41092b05-9fc8-4523-994f-2def0408b176", "root-x86-64-verity-sig", "", true)]
    [InlineData(262, "41092b05-9fc8-4523-994f-2def0408b176", "root-x86-64-verity-sig", "PartitionZeroFill=no", false)]
    [InlineData(262, "0fc63daf-8483-4772-8e79-3d69d8477de4", "linux-generic", "", false)]
    [InlineData(262, "0fc63daf-8483-4772-8e79-3d69d8477de4", "linux-generic", "PartitionZeroFill=yes", true)]
    [InlineData(257, "41092b05-9fc8-4523-994f-2def0408b176", "root-x86-64-verity-sig", "", true)]
    public async Task A_reused_slot_is_zero_filled_behind_a_shorter_payload_as_PartitionZeroFill_says(int version, string type, string typeName, string setting, bool zeroed)
    {
        var oracle = SysupdateOracle.ForTest(output, version);
        if (oracle is null)
        {
            return;
        }

        GptTools.Require("sfdisk");
        using var theirs = ZeroFill(type, typeName, setting);
        using var ours = ZeroFill(type, typeName, setting);
        foreach (var (v, size) in new[] { (1, 3000), (2, 32768), (3, 130) })
        {
            var payload = RandomNumberGenerator.GetBytes(size);
            foreach (var s in new[] { theirs, ours })
            {
                File.WriteAllBytes(s[$"source/sig-v{v}.raw"], payload);
            }

            var theirUpdate = await oracle.RunAsync(theirs.Work, theirs.Environment, "--definitions=" + theirs.Definitions, "update");
            var ourUpdate = await SysupdateDifferentialTests.RunOursAsync(ours, "update");
            output.WriteLine($"v{v} {version}: {theirUpdate}\nours: {ourUpdate}");
            Assert.Equal(0, theirUpdate.ExitCode);
            Assert.Equal(0, ourUpdate.ExitCode);
        }

        // v1's 3000 bytes filled the slot's start; v3 overwrote its first 130.
        var ourTail = Tail(ours, "sig-v3", 130);
        if (zeroed)
        {
            Assert.All(ourTail, b => Assert.Equal(0, b));
        }
        else
        {
            Assert.Equal(File.ReadAllBytes(ours["source/sig-v1.raw"])[130..], ourTail[..2870]);
        }

        if (version == 257)
        {
            // 257 knows no PartitionZeroFill= and leaves the tail of v1 behind v3.
            Assert.Equal(File.ReadAllBytes(theirs["source/sig-v1.raw"])[130..], Tail(theirs, "sig-v3", 130)[..2870]);
            return;
        }

        Assert.Equal(Tail(theirs, "sig-v3", 130), ourTail);
    }

    private static DifferentialScenario ZeroFill(string type, string typeName, string setting)
    {
        var s = new DifferentialScenario();
        using (var disk = new FileStream(s["disk.raw"], FileMode.CreateNew))
        {
            disk.SetLength(4 << 20);
        }

        GptTools.Sfdisk(s["disk.raw"], $"label: gpt\nunit: sectors\n\nsize=64, type={type}, name=_empty\nsize=64, type={type}, name=_empty\n");
        s.Transfer("01-zerofill.transfer", $"""
            [Source]
            Type=regular-file
            Path=@W@/source
            MatchPattern=sig-@v.raw

            [Target]
            Type=partition
            Path=@W@/disk.raw
            MatchPattern=sig-@v
            MatchPartitionType={typeName}
            {setting}
            """);
        return s;
    }

    /// <summary>The bytes of the slot labelled <paramref name="label"/> after its first <paramref name="skip"/>.</summary>
    private static byte[] Tail(DifferentialScenario s, string label, int skip)
    {
        var slot = GptTools.SfdiskJson(s["disk.raw"]).Partitions.Single(p => p.Name == label);
        using var disk = File.OpenRead(s["disk.raw"]);
        var bytes = new byte[(int)slot.Size * 512];
        disk.Position = (long)slot.Start * 512;
        disk.ReadExactly(bytes);
        return bytes[skip..];
    }
}
