using ImageUpdate.Formats.Gpt;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Update.Imaging;

namespace ImageUpdate.Tests.Update.Imaging;

/// <summary>
/// The planner without tools. The golden values were written by systemd-repart 252.39 (Debian 12) for
/// RepartLayouts.Demo with --seed=0f2c2f8e-1c1a-4a7e-9d6a-6d4b2b6e7a11 --size=auto, read back with
/// sfdisk --dump, and its mkfs.vfat reported "uuid 579678b7" for the ESP; DiskLayoutRepartTests
/// repeats the comparison live where repart can run.
/// </summary>
public sealed class DiskLayoutPlannerTests
{
    private static readonly Guid Root = new("4f68bce3-e8cd-4db1-96e7-fbcaf984b709");

    [Fact]
    public void The_demo_layout_matches_what_systemd_repart_252_wrote_for_the_same_seed()
    {
        var plan = DiskLayoutPlanner.Plan(Layout(
            Partition("10-esp.conf", PartitionType.Esp, label: "ESP", min: 64UL << 20, max: 64UL << 20, format: RepartFormat.Vfat),
            Partition("20-root-a.conf", Root, label: "_empty", min: 100UL << 20, max: 100UL << 20),
            Partition("21-root-b.conf", Root, label: "_empty", min: 100UL << 20, max: 100UL << 20)), RepartLayouts.Seed);

        Assert.Equal(277893120UL, plan.SizeInBytes);
        Assert.Equal(new Guid("013c0aaa-331a-489f-bb85-9a051c8d9363"), plan.DiskGuid);
        Assert.Equal(2048UL, plan.FirstUsableLba);
        Assert.Equal(542726UL, plan.LastUsableLba);
        Assert.Equal(
            [
                (1, 2048UL, 131072UL, new Guid("49a3c855-0a43-494f-9b02-2a31a149ef6b"), "ESP", 0UL),
                (2, 133120UL, 204800UL, new Guid("47e8ec9c-b1c8-4337-b100-ab1dcac23bb0"), "_empty", PartitionAttributes.GrowFileSystem),
                (3, 337920UL, 204800UL, new Guid("a11840e3-fc76-41ce-a101-406d909c6a94"), "_empty", PartitionAttributes.GrowFileSystem),
            ],
            plan.Partitions.Select(p => (p.Number, p.FirstLba(512), p.Size / 512, p.Uuid, p.Label, p.Attributes)));
    }

    [Fact]
    public void The_esp_volume_id_is_the_one_repart_gives_mkfs_vfat()
    {
        Assert.Equal(0x579678b7U, RepartUuids.FatVolumeId(new Guid("49a3c855-0a43-494f-9b02-2a31a149ef6b")));
    }

    [Fact]
    public void A_different_seed_gives_different_identifiers_and_the_same_places()
    {
        var layout = Layout(Partition("a.conf", Root), Partition("b.conf", Root));

        var one = DiskLayoutPlanner.Plan(layout, RepartLayouts.Seed);
        var other = DiskLayoutPlanner.Plan(layout, Guid.Parse("11111111-2222-4333-8444-555555555555"));

        Assert.NotEqual(one.DiskGuid, other.DiskGuid);
        Assert.Empty(one.Partitions.Select(p => p.Uuid).Intersect(other.Partitions.Select(p => p.Uuid)));
        Assert.Equal(one.Partitions.Select(p => (p.Offset, p.Size)), other.Partitions.Select(p => (p.Offset, p.Size)));
        Assert.All(one.Partitions.Concat(other.Partitions), p => Assert.Equal(4, p.Uuid.Version));
    }

    [Fact]
    public void Missing_labels_are_type_names_made_unique_against_earlier_labels()
    {
        var plan = DiskLayoutPlanner.Plan(Layout(
            Partition("1.conf", Root),
            Partition("2.conf", Root, label: "root-x86-64-2"),
            Partition("3.conf", Root),
            Partition("4.conf", new Guid("11111111-2222-3333-4444-555555555555")),
            Partition("5.conf", PartitionType.Esp)), RepartLayouts.Seed);

        Assert.Equal(["root-x86-64", "root-x86-64-2", "root-x86-64-3", "linux", "esp"], plan.Partitions.Select(p => p.Label));
    }

    [Fact]
    public void Flags_keep_every_bit_and_the_settings_apply_only_to_types_that_know_them()
    {
        var logger = new ListLogger();
        var plan = DiskLayoutPlanner.Plan(Layout(
            Partition("1.conf", Root) with { Flags = 0b101 },
            Partition("2.conf", PartitionType.Esp) with { NoAuto = true, ReadOnly = true, GrowFileSystem = true },
            Partition("3.conf", Root) with { ReadOnly = true },
            Partition("4.conf", Root) with { GrowFileSystem = false },
            Partition("5.conf", Root) with { NoAuto = true, Flags = PartitionAttributes.GrowFileSystem, ReadOnly = false }), RepartLayouts.Seed, logger: logger);

        Assert.Equal(
            [
                0b101 | PartitionAttributes.GrowFileSystem,
                0UL,
                PartitionAttributes.ReadOnly,
                PartitionAttributes.GrowFileSystem,
                PartitionAttributes.NoAuto | PartitionAttributes.GrowFileSystem,
            ],
            plan.Partitions.Select(p => p.Attributes));
        Assert.Equal(4, logger.Messages.Count);
        Assert.Contains(logger.Messages, m => m.Contains("NoAuto=yes is ignored for partition type esp", StringComparison.Ordinal));
        Assert.Contains(logger.Messages, m => m.Contains("4.conf: GrowFileSystem=no is overridden", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("root-verity", PartitionAttributes.ReadOnly)]
    [InlineData("usr-verity", PartitionAttributes.ReadOnly)]
    [InlineData("usr-x86-64", PartitionAttributes.GrowFileSystem)]
    [InlineData("root-arm64", PartitionAttributes.GrowFileSystem)]
    [InlineData("home", PartitionAttributes.GrowFileSystem)]
    [InlineData("xbootldr", PartitionAttributes.GrowFileSystem)]
    [InlineData("root-verity-sig", 0UL)]
    [InlineData("swap", 0UL)]
    [InlineData("esp", 0UL)]
    [InlineData("linux-generic", 0UL)]
    public void Types_imply_the_attributes_repart_252_gives_them(string type, ulong attributes)
    {
        Assert.True(PartitionType.TryParse(type, out var uuid));

        var plan = DiskLayoutPlanner.Plan(Layout(Partition("a.conf", uuid)), RepartLayouts.Seed);

        Assert.Equal(attributes, plan.Partitions[0].Attributes);
    }

    [Theory]
    [InlineData("root-verity-sig")]
    [InlineData("usr-verity-sig")]
    public void ReadOnly_applies_to_verity_signature_types_by_the_one_partition_type_table(string type)
    {
        Assert.True(PartitionType.TryParse(type, out var uuid));
        var logger = new ListLogger();

        var plan = DiskLayoutPlanner.Plan(Layout(Partition("a.conf", uuid) with { ReadOnly = true, NoAuto = true }), RepartLayouts.Seed, logger: logger);

        Assert.Equal(PartitionAttributes.ReadOnly, plan.Partitions[0].Attributes);
        Assert.Equal($"a.conf: NoAuto=yes is ignored for partition type {PartitionType.NameOf(uuid)}, which does not support it.", Assert.Single(logger.Messages));
    }

    [Fact]
    public void A_given_size_is_rounded_up_to_4096_and_spread_by_weight()
    {
        var plan = DiskLayoutPlanner.Plan(Layout(
            Partition("a.conf", Root) with { Weight = 1000 },
            Partition("b.conf", Root) with { Weight = 3000 }), RepartLayouts.Seed, size: (100UL << 20) + 1);

        Assert.Equal((100UL << 20) + 4096, plan.SizeInBytes);
        var free = plan.SizeInBytes - DiskLayoutPlanner.GptMetadataSize;
        Assert.Equal(free, plan.Partitions.Sum(p => (decimal)(p.Size + p.Padding)));
        Assert.InRange((double)plan.Partitions[1].Size / plan.Partitions[0].Size, 2.99, 3.01);
        Assert.Equal(plan.Partitions[0].End, plan.Partitions[1].Offset);
    }

    [Fact]
    public void Partitions_that_do_not_fit_are_dropped_by_priority_and_numbered_without_gaps()
    {
        var plan = DiskLayoutPlanner.Plan(Layout(
            Partition("1.conf", PartitionType.Esp, min: 32UL << 20),
            Partition("2.conf", Root, min: 40UL << 20) with { Priority = 1 },
            Partition("3.conf", Root, min: 40UL << 20) with { Priority = 2 },
            Partition("4.conf", Root, min: 20UL << 20)), RepartLayouts.Seed, size: 100UL << 20);

        Assert.Equal(["1.conf", "2.conf", "4.conf"], plan.Partitions.Select(p => p.Definition.File));
        Assert.Equal([1, 2, 3], plan.Partitions.Select(p => p.Number));
        Assert.Equal(["3.conf"], plan.Dropped.Select(p => p.File));

        // The dropped partition still counts as an instance of its type, as in repart: the third root is
        // not the second one's UUID.
        Assert.Equal(RepartUuids.Partition(RepartLayouts.Seed, Root, 2), plan.Partitions[2].Uuid);
    }

    [Fact]
    public void Partitions_of_priority_zero_that_do_not_fit_are_an_error()
    {
        var e = Assert.Throws<DiskImageException>(() => DiskLayoutPlanner.Plan(Layout(Partition("a.conf", Root, min: 100UL << 20)), RepartLayouts.Seed, size: 50UL << 20));

        Assert.Contains("need at least 104857600 bytes but the disk has", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1024, 4UL << 20)]
    [InlineData(512, 4UL << 20)]
    public void A_bad_sector_size_or_a_tiny_disk_is_refused(int sectorSize, ulong size)
    {
        var e = Assert.Throws<DiskImageException>(() => DiskLayoutPlanner.Plan(Layout(Partition("a.conf", Root)), RepartLayouts.Seed, sectorSize, size));

        Assert.Contains(sectorSize == 512 ? "too small" : "sector size 1024 is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_derived_uuid_that_another_partition_claims_is_an_error()
    {
        var taken = RepartUuids.Partition(RepartLayouts.Seed, Root, 0);

        var e = Assert.Throws<ConfigurationException>(() => DiskLayoutPlanner.Plan(Layout(
            Partition("a.conf", Root),
            Partition("b.conf", PartitionType.Esp) with { Uuid = taken }), RepartLayouts.Seed));

        Assert.Contains("already used by b.conf", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_table_has_128_entries_with_the_planned_partitions_in_front()
    {
        var plan = DiskLayoutPlanner.Plan(Layout(Partition("a.conf", Root, label: "_empty"), Partition("b.conf", PartitionType.Esp)), RepartLayouts.Seed, 4096);

        var table = plan.ToPartitionTable();

        Assert.Equal(128, table.Entries.Length);
        Assert.Equal(4096, table.SectorSize);
        Assert.Equal(256UL, table.FirstUsableLba);
        Assert.Equal(plan.SectorCount - 6, table.LastUsableLba);
        Assert.Equal(2, table.Partitions.Count());
        Assert.Equal("_empty", table.Entries[0].Name);
        Assert.Equal(plan.Partitions[1].Offset / 4096, table.Entries[1].StartingLba);
    }

    private static RepartLayout Layout(params RepartPartition[] partitions) => new("repart.d", [.. partitions]);

    private static RepartPartition Partition(string file, Guid type, string? label = null, ulong? min = null, ulong? max = null, RepartFormat format = RepartFormat.None) =>
        new() { File = file, Type = type, Label = label, SizeMinBytes = min, SizeMaxBytes = max, Format = format };
}
