using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Resources;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Model.Resources;

public sealed class DirectoryScannerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static PatternList Patterns(params string[] texts) => PatternList.Parse(texts);

    private string Touch(string relative)
    {
        var path = _dir[relative];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, relative);
        return path;
    }

    [Fact]
    public void Files_are_found_newest_first_with_mode_and_mtime()
    {
        Touch("a_1.img");
        Touch("a_2.img");
        Touch("a_10.img");
        File.SetUnixFileMode(_dir["a_2.img"], (UnixFileMode)0x1FF); // 0777: world-writable is masked

        var inventory = DirectoryScanner.Load(_dir.Path, Patterns("a_@v.img"), DirectoryScanner.EntryKind.RegularFile);

        Assert.Equal(["10", "2", "1"], inventory.Instances.Select(i => i.Version));
        var two = inventory.Find("2")!;
        Assert.Equal(0x1FDu, two.Metadata.Mode); // 0775
        Assert.NotNull(two.Metadata.ModificationTimeUsec);
        Assert.Equal(_dir["a_2.img"], two.Path);
    }

    [Fact]
    public void Symlinks_fifos_and_directories_are_never_file_instances()
    {
        Touch("a_1.img");
        File.CreateSymbolicLink(_dir["a_2.img"], _dir["a_1.img"]);
        Directory.CreateDirectory(_dir["a_3.img"]);
        TestProcess.RunChecked("mkfifo", [_dir["a_4.img"]]);

        var inventory = DirectoryScanner.Load(_dir.Path, Patterns("a_@v.img"), DirectoryScanner.EntryKind.RegularFile);

        Assert.Equal(["1"], inventory.Instances.Select(i => i.Version));
    }

    [Fact]
    public void Directory_resources_see_only_directories()
    {
        Touch("tree_1/content");
        Touch("tree_2");
        File.CreateSymbolicLink(_dir["tree_3"], _dir["tree_1"]);

        var inventory = DirectoryScanner.Load(_dir.Path, Patterns("tree_@v"), DirectoryScanner.EntryKind.Directory);

        Assert.Equal(["1"], inventory.Instances.Select(i => i.Version));
    }

    [Fact]
    public void Partial_and_pending_prefixes_are_stripped_and_flagged_and_in_flight_copies_ignored()
    {
        Touch(".sysupdate.partial.a_3.img");
        Touch(".sysupdate.pending.a_2.img");
        Touch(".#sysupdate.partial.a_4.img");
        Touch("a_1.img");

        var inventory = DirectoryScanner.Load(_dir.Path, Patterns("a_@v.img"), DirectoryScanner.EntryKind.RegularFile);

        Assert.Equal(["3", "2", "1"], inventory.Instances.Select(i => i.Version));
        Assert.True(inventory.Find("3")!.IsPartial);
        Assert.True(inventory.Find("2")!.IsPending);
        Assert.False(inventory.Find("1")!.IsPartial || inventory.Find("1")!.IsPending);
    }

    // systemd 262 (TEST-72-SYSUPDATE): the order of MatchPattern= values does not matter. A top-level
    // file a subdirectory pattern would descend into (its @v takes the ".raw") is still found by a
    // later pattern, and a directory a flat pattern matches is still descended into.
    [Theory]
    [InlineData("bundle-@v/image.raw **/bundle-@v.raw", "v2 v1")]
    [InlineData("**/bundle-@v.img bundle-@v.raw", "v2")]
    [InlineData("bundle-@v/image.raw bundle-@v.raw", "v2 v1")]
    [InlineData("pack-@v/image.raw pack-@v", "v2 v1")]
    public void The_order_of_the_patterns_does_not_matter(string patterns, string versions)
    {
        Touch("bundle-v1/image.raw");
        Touch("bundle-v2.raw");
        Touch("pack-v1");
        Touch("pack-v2/image.raw");

        var inventory = DirectoryScanner.Load(_dir.Path, Patterns(patterns.Split(' ')), DirectoryScanner.EntryKind.RegularFile);

        Assert.Equal(versions.Split(' '), inventory.Instances.Select(i => i.Version));
        if (patterns.StartsWith("pack", StringComparison.Ordinal))
        {
            Assert.Equal(_dir["pack-v2/image.raw"], inventory.Find("v2")!.Path);
        }
        else
        {
            Assert.Equal(_dir["bundle-v2.raw"], inventory.Find("v2")!.Path);
        }
    }

    [Fact]
    public void A_pattern_with_a_slash_descends_into_matching_directories()
    {
        Touch("uki_1.efi.extra.d/extra.addon.efi");
        Touch("uki_2.efi.extra.d/other.efi");
        Touch(".sysupdate.pending.uki_3.efi.extra.d/extra.addon.efi");

        var inventory = DirectoryScanner.Load(_dir.Path, Patterns("uki_@v.efi.extra.d/extra.addon.efi"), DirectoryScanner.EntryKind.RegularFile);

        Assert.Equal(["3", "1"], inventory.Instances.Select(i => i.Version));
        Assert.True(inventory.Find("3")!.IsPending);
        Assert.Equal(_dir["uki_1.efi.extra.d/extra.addon.efi"], inventory.Find("1")!.Path);
    }

    [Fact]
    public void Boot_counter_patterns_read_the_counters_and_the_first_match_wins()
    {
        Touch("uki_1+3-0.efi");
        Touch("uki_2+1.efi");
        Touch("uki_3.efi");

        var inventory = DirectoryScanner.Load(_dir.Path, Patterns("uki_@v+@l-@d.efi", "uki_@v+@l.efi", "uki_@v.efi"), DirectoryScanner.EntryKind.RegularFile);

        Assert.Equal(["3", "2", "1"], inventory.Instances.Select(i => i.Version));
        Assert.Equal((3ul, 0ul), (inventory.Find("1")!.Metadata.TriesLeft!.Value, inventory.Find("1")!.Metadata.TriesDone!.Value));
        Assert.Equal(1ul, inventory.Find("2")!.Metadata.TriesLeft);
        Assert.Null(inventory.Find("3")!.Metadata.TriesLeft);
    }

    [Fact]
    public void A_missing_directory_has_no_instances()
    {
        var inventory = DirectoryScanner.Load(_dir["nope"], Patterns("a_@v"), DirectoryScanner.EntryKind.RegularFile);

        Assert.Empty(inventory.Instances);
    }
}
