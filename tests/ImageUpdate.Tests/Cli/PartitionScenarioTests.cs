using ImageUpdate.Formats.Gpt;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// systemd v252's own sysupdate test with image-update in place of systemd-sysupdate (the v1-v3 steps;
/// v4 over file:// URLs belongs to the URL sources), on a 512-byte-sector image file and on a
/// 4096-byte-sector loop device; then kill -9 at every step of a partition write. After every write,
/// sgdisk -v finds no problems and sfdisk --json shows the labels, types, UUIDs and attributes meant.
/// </summary>
public sealed class PartitionScenarioTests
{
    private static readonly Guid PartialRoot = PartitionStates.PartialTypeFor(PartitionScenario.Root);
    private static readonly Guid PendingRoot = PartitionStates.PendingTypeFor(PartitionScenario.Root);

    [Fact]
    public async Task The_v252_steps_pass_on_a_512_byte_sector_image_file()
    {
        GptTools.Require("sfdisk", "sgdisk");

        using var s = new PartitionScenario(512);
        await RunV252StepsAsync(s);
    }

    [Fact]
    public async Task The_v252_steps_pass_on_a_4096_byte_sector_loop_device()
    {
        GptTools.RequireRoot("losetup --sector-size 4096");
        GptTools.Require("losetup", "sfdisk", "sgdisk");

        using var s = new PartitionScenario(4096);
        Assert.StartsWith("/dev/loop", s.Disk, StringComparison.Ordinal);
        await RunV252StepsAsync(s);
    }

    /// <summary>
    /// Issue 15: a slot of a disk image file is written through the page cache but not left there: the
    /// copy drops what it wrote once it is durable, so a gigabyte of payload does not push a small
    /// host's working set out (or make the next install reclaim it). fincore counts the image's cached
    /// pages after two 16 MiB slots were written.
    /// </summary>
    [Fact]
    public async Task A_slot_of_an_image_file_is_not_left_in_the_page_cache()
    {
        GptTools.Require("sfdisk", "sgdisk");
        TestEnvironment.RequireTools("apt-get install util-linux", "fincore");
        using var s = new PartitionScenario(512, slotSectors: 2 * 16384 + 2048, payloadBytes: 16 << 20);
        TestEnvironment.Require(TestProcess.Run("stat", ["-f", "-c", "%T", s.Image]).Stdout.Trim() != "tmpfs", "the image is on tmpfs, whose pages are its cache");
        s.NewVersion("v1");

        // What making the image left in the cache goes first (dd's nocache: POSIX_FADV_DONTNEED).
        Assert.Equal(0, TestProcess.Run("dd", [$"if={s.Image}", "iflag=nocache", "count=0", "status=none"]).ExitCode);
        Assert.True(CachedBytes(s.Image) < (1 << 20), $"{CachedBytes(s.Image)} bytes of the new image file are still cached");
        await UpdateNowAsync(s, "v1");
        var cached = CachedBytes(s.Image);
        s.AssertSlots("v1", 1, 3);
        Assert.True(cached < (4 << 20), $"{cached} bytes of the image file are in the page cache after writing 32 MiB into its slots");
    }

    [Fact]
    public async Task Acquire_leaves_pending_slots_that_update_offline_installs()
    {
        GptTools.Require("sfdisk", "sgdisk");

        using var s = new PartitionScenario(512);
        s.NewVersion("v1");
        await UpdateNowAsync(s, "v1");
        s.NewVersion("v2");
        var acquire = await s.RunAsync("acquire");
        Assert.True(acquire.ExitCode == 0, acquire.ToString());

        var table = s.Table();
        GptAssert.SgdiskFindsNoProblems(s.Disk);
        Assert.Equal((PendingRoot, "part1-v2"), (table.Partitions[1].Type, table.Partitions[1].Name));
        Assert.Equal((PartitionStates.PendingTypeFor(PartitionScenario.Verity), "a-very-long-partition-name-v2"), (table.Partitions[3].Type, table.Partitions[3].Name));
        var list = await s.RunAsync("--offline", "list", "v2");
        Assert.Contains("pending", list.Stdout);

        var install = await s.RunAsync("update", "--offline");
        Assert.True(install.ExitCode == 0, install.ToString());
        s.AssertSlots("v2", 2, 4);
        s.AssertSlots("v1", 1, 3);
        s.AssertCurrentDirectory("v2");
    }

    [Fact]
    public async Task The_transfer_keys_set_uuid_and_attribute_bits_in_the_pending_write()
    {
        GptTools.Require("sfdisk", "sgdisk");

        using var s = new PartitionScenario(512, extraTargetKeys: """
            PartitionUUID=0f0e0d0c-0b0a-4908-8706-050403020100
            PartitionFlags=0x4
            ReadOnly=yes
            PartitionNoAuto=yes
            PartitionGrowFileSystem=yes
            """);
        s.NewVersion("v1");
        await UpdateNowAsync(s, "v1");

        var slot = s.Table().Partitions[0];
        Assert.Equal(new Guid("0f0e0d0c-0b0a-4908-8706-050403020100"), slot.Uuid);
        Assert.Equal(PartitionAttributes.LegacyBiosBootable | PartitionAttributes.ReadOnly | PartitionAttributes.NoAuto | PartitionAttributes.GrowFileSystem, slot.Attributes);

        // The verity transfer sets nothing: its slot keeps what sfdisk made.
        var verity = s.Table().Partitions[2];
        Assert.Equal((s.InitialSlot(3).Uuid, 0UL), (verity.Uuid, verity.Attributes));
        GptAssert.SgdiskFindsNoProblems(s.Disk);
    }

    [Theory]
    [InlineData("after-partition-claim")]
    [InlineData("write-buffer:1")]
    [InlineData("after-partition-write")]
    [InlineData("after-partition-pending")]
    [InlineData("after-partition-install")]
    [InlineData("after-partition-claim:2")]
    [InlineData("write-buffer:3")]
    [InlineData("after-partition-pending:2")]
    [InlineData("after-partition-install:2")]
    [InlineData("after-acquire-transfer:2")]
    public async Task A_kill_during_a_partition_write_keeps_the_old_version_current_and_a_rerun_lands_the_new_one(string point)
    {
        GptTools.Require("sfdisk", "sgdisk");

        // 6 MiB payloads in 8 MiB slots: two 4 MiB write buffers per partition.
        using var s = new PartitionScenario(512, slotSectors: 16384, payloadBytes: 6 << 20);
        s.NewVersion("v1");
        await UpdateNowAsync(s, "v1");
        s.NewVersion("v2");

        var crashed = await s.RunAsync(new Dictionary<string, string?> { ["IMAGE_UPDATE_TEST_CRASH_AT"] = point }, "update");
        Assert.True(crashed.ExitCode == 137, crashed.ToString());

        // v1 is whole and current; nothing carries a version's label without that version's bytes.
        s.AssertSlots("v1", 1, 3);
        GptAssert.SgdiskFindsNoProblems(s.Disk);
        AssertNoLabelWithoutItsBytes(s);
        var list = await s.RunAsync("list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"v1\s.*(current|installed)", list.Stdout);
        AssertOnlyV1IsFinalOrV2IsWhole(s);

        var rerun = await s.RunAsync("update");
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        s.AssertSlots("v2", 2, 4);
        s.AssertSlots("v1", 1, 3);
        s.AssertCurrentDirectory("v2");
        Assert.Equal(1, (await s.RunAsync("check-new")).ExitCode);
        GptAssert.SgdiskFindsNoProblems(s.Disk);
        Assert.All(s.Table().Partitions, p => Assert.Contains(p.Type, new[] { PartitionScenario.Root, PartitionScenario.Verity }));
    }

    [Fact]
    public async Task A_slot_left_being_filled_is_free_again_after_the_next_run_and_never_listed()
    {
        GptTools.Require("sfdisk", "sgdisk");

        using var s = new PartitionScenario(512);
        s.NewVersion("v1");
        var crashed = await s.RunAsync(new Dictionary<string, string?> { ["IMAGE_UPDATE_TEST_CRASH_AT"] = "after-partition-write" }, "update");
        Assert.Equal(137, crashed.ExitCode);
        Assert.Equal((PartialRoot, "_empty"), (s.Table().Partitions[0].Type, s.Table().Partitions[0].Name));

        var list = await s.RunAsync("--offline", "list");
        Assert.DoesNotContain("v1", list.Stdout);

        var vacuum = await s.RunAsync("vacuum");
        Assert.True(vacuum.ExitCode == 0, vacuum.ToString());
        Assert.Equal((PartitionScenario.Root, "_empty"), (s.Table().Partitions[0].Type, s.Table().Partitions[0].Name));
    }

    private static async Task RunV252StepsAsync(PartitionScenario s)
    {
        s.NewVersion("v1");
        await UpdateNowAsync(s, "v1");
        s.AssertSlots("v1", 1, 3);
        s.AssertCurrentDirectory("v1");
        AssertUntouchedExceptLabelAndType(s);

        s.NewVersion("v2");
        await UpdateNowAsync(s, "v2");
        s.AssertSlots("v2", 2, 4);
        s.AssertSlots("v1", 1, 3);
        s.AssertCurrentDirectory("v2");
        AssertUntouchedExceptLabelAndType(s);

        s.NewVersion("v3");
        await UpdateNowAsync(s, "v3");
        s.AssertSlots("v3", 1, 3);
        s.AssertSlots("v2", 2, 4);
        s.AssertCurrentDirectory("v3");
        AssertUntouchedExceptLabelAndType(s);
        Assert.True(Directory.Exists(Path.Combine(s.Dirs, "dir-v1"))); // InstancesMax=3 keeps it

        // v4, as v252's test does it: part2 as url-file and the directory as url-tar over file://,
        // listed in a SHA256SUMS (unsigned, hence --verify=no).
        s.Write("02-second.conf", $"""
            [Source]
            Type=url-file
            Path=file://{s.Source}
            MatchPattern=part2-@v.raw.gz

            [Target]
            Type=partition
            Path={s.Disk}
            MatchPattern=a-very-long-partition-name-@v
            MatchPartitionType=root-x86-64-verity
            """);
        s.Write("03-third.conf", $"""
            [Source]
            Type=url-tar
            Path=file://{s.Source}
            MatchPattern=dir-@v.tar.gz

            [Target]
            Type=directory
            Path={s.Dirs}
            CurrentSymlink={s.Dirs}/current
            MatchPattern=dir-@v
            InstancesMax=3
            """);
        s.NewVersion("v4");
        Test72Scenario.Run("tar", "-C", Path.Combine(s.Source, "dir-v4"), "-czf", Path.Combine(s.Source, "dir-v4.tar.gz"), ".");
        var sums = Directory.GetFiles(s.Source)
            .Where(f => f.EndsWith(".raw.gz", StringComparison.Ordinal) || f.EndsWith(".tar.gz", StringComparison.Ordinal))
            .Select(f => $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}  {Path.GetFileName(f)}");
        File.WriteAllText(Path.Combine(s.Source, "SHA256SUMS"), string.Join("\n", sums) + "\n");
        await UpdateNowAsync(s, "v4", "--verify=no");
        s.AssertSlots("v4", 2, 4);
        s.AssertSlots("v3", 1, 3);
        s.AssertCurrentDirectory("v4");
        AssertUntouchedExceptLabelAndType(s);
    }

    /// <summary>update_now: check-new offers the version, update installs it, check-new then has nothing.</summary>
    private static async Task UpdateNowAsync(PartitionScenario s, string version, params string[] options)
    {
        var check = await s.RunAsync([.. options, "check-new"]);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Equal(version, check.Stdout.Trim());
        var update = await s.RunAsync([.. options, "update"]);
        Assert.True(update.ExitCode == 0, update.ToString());
        var after = await s.RunAsync([.. options, "check-new"]);
        Assert.True(after.ExitCode == 1, after.ToString());
        GptAssert.SgdiskFindsNoProblems(s.Disk);
    }

    /// <summary>No PartitionUUID= or flags are configured: every slot keeps sfdisk's UUID, extent and (zero) attributes.</summary>
    private static void AssertUntouchedExceptLabelAndType(PartitionScenario s)
    {
        var table = s.Table();
        Assert.Equal(s.Initial.Id, table.Id);
        Assert.Equal(4, table.Partitions.Count);
        foreach (var p in table.Partitions)
        {
            var initial = s.InitialSlot(p.Number);
            Assert.Equal((initial.Start, initial.Size, initial.Uuid, initial.Attributes), (p.Start, p.Size, p.Uuid, p.Attributes));
        }
    }

    /// <summary>
    /// What a boot loader or systemd-gpt-auto-generator would pick, slots of the final types, is v1, or
    /// a v2 partition that is already whole (a kill after its install step).
    /// </summary>
    private static void AssertOnlyV1IsFinalOrV2IsWhole(PartitionScenario s)
    {
        var final = s.Table().Partitions.Where(p => p.Name != "_empty" && (p.Type == PartitionScenario.Root || p.Type == PartitionScenario.Verity)).ToList();
        Assert.Contains(final, p => p.Name == "part1-v1");
        Assert.Contains(final, p => p.Name == "a-very-long-partition-name-v1");
        Assert.All(final, p => Assert.Matches("-v[12]$", p.Name));
    }

    /// <summary>Every slot labelled with a version holds that version's payload whole, whatever its state.</summary>
    private static void AssertNoLabelWithoutItsBytes(PartitionScenario s)
    {
        foreach (var p in s.Table().Partitions.Where(p => p.Name != "_empty"))
        {
            Assert.NotEqual(PartialRoot, p.Type); // partial + label only ever comes from a failed verification
            var source = p.Name.StartsWith("part1-", StringComparison.Ordinal)
                ? Path.Combine(s.Source, p.Name + ".raw")
                : Path.Combine(s.Source, "part2-" + p.Name["a-very-long-partition-name-".Length..] + ".raw");
            var expected = File.ReadAllBytes(source);
            Assert.True(expected.AsSpan().SequenceEqual(s.ReadSlot(p, expected.Length)), $"slot {p.Number} '{p.Name}' does not hold its payload");
        }
    }

    private static long CachedBytes(string path) =>
        long.Parse(TestProcess.Run("fincore", ["--bytes", "--noheadings", "--output=RES", path]).Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
