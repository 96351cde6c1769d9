using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Resources;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Update.Transfers.Partitions;

namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>The pure rules of partition targets: enumeration, slot choice and the entry each state change writes.</summary>
public sealed class PartitionSlotsTests
{
    private static readonly Guid Root = SlotDisk.RootType;
    private static readonly string Partial = PartitionType.Format(PartitionStates.PartialTypeFor(Root));
    private static readonly string Pending = PartitionType.Format(PartitionStates.PendingTypeFor(Root));

    [Fact]
    public void Inventory_finds_final_partial_and_pending_instances_and_counts_every_empty_slot()
    {
        GptTools.Require("sfdisk");

        using var disk = new SlotDisk($"""
            size=256, type={SlotDisk.Root}, name=part1-v1
            size=256, type={Partial}, name=part1-v2
            size=256, type={Pending}, name=part1-v3
            size=256, type={SlotDisk.Root}, name=_empty
            size=256, type={Partial}, name=_empty
            size=256, type={SlotDisk.Verity}, name=part1-v9
            size=256, type={SlotDisk.Root}, name=other-v1
            size=256, type={Pending}, name=_empty
            size=256, type={SlotDisk.Verity}, name=_empty
            """);

        var inventory = PartitionSlots.Inventory(GptDisk.ReadTable(disk.Path), Root, PatternList.Parse(["part1-@v"]), disk.Path);

        Assert.Equal(3, inventory.EmptySlots);
        Assert.Equal(["v3", "v2", "v1"], inventory.Instances.Select(i => i.Version));
        var (v3, v2, v1) = (inventory.Instances[0], inventory.Instances[1], inventory.Instances[2]);
        Assert.True(v3.IsPending && !v3.IsPartial);
        Assert.True(v2.IsPartial && !v2.IsPending);
        Assert.False(v1.IsPartial || v1.IsPending);
        Assert.Equal(disk.Path + "1", v1.Path);
        Assert.Equal(disk.Path + "3", v3.Path);
        var slot = Assert.IsType<PartitionLocation>(v1.Location).Slot;
        Assert.Equal(0, slot.Index);
        Assert.Equal(2048L * 512, slot.Offset);
        Assert.Equal(256L * 512, slot.Size);
        Assert.Equal((ulong)(256 * 512), v1.Metadata.Size);
    }

    [Fact]
    public void Inventory_takes_uuid_and_flags_from_the_entry_and_the_systemd_bits_only_where_the_type_defines_them()
    {
        GptTools.Require("sfdisk");

        using var disk = new SlotDisk($"""
            size=256, type={SlotDisk.Root}, name=part1-v1, uuid=11111111-2222-4333-8444-555555555555, attrs="GUID:59,60,63"
            size=256, type={SlotDisk.Esp}, name=part1-v2, uuid=66666666-2222-4333-8444-555555555555, attrs="GUID:59,60,63"
            """);
        var table = GptDisk.ReadTable(disk.Path);
        var bits = PartitionAttributes.GrowFileSystem | PartitionAttributes.ReadOnly | PartitionAttributes.NoAuto;

        var root = Assert.Single(PartitionSlots.Inventory(table, Root, PatternList.Parse(["part1-@v"]), disk.Path).Instances).Metadata;
        Assert.Equal(new Guid("11111111-2222-4333-8444-555555555555"), root.PartitionUuid);
        Assert.Equal(bits, root.PartitionFlags);
        Assert.True(root.ReadOnly);
        Assert.True(root.NoAuto);
        Assert.True(root.GrowFileSystem);

        var esp = Assert.Single(PartitionSlots.Inventory(table, PartitionType.Esp, PatternList.Parse(["part1-@v"]), disk.Path).Instances).Metadata;
        Assert.Equal(bits, esp.PartitionFlags);
        Assert.False(esp.ReadOnly);
        Assert.False(esp.NoAuto);
        Assert.False(esp.GrowFileSystem);
    }

    [Fact]
    public void A_value_the_label_pattern_captures_wins_over_the_entry()
    {
        GptTools.Require("sfdisk");

        using var disk = new SlotDisk($"size=256, type={SlotDisk.Root}, name=os-v1-1, attrs=\"GUID:60\"\n");
        var instance = Assert.Single(PartitionSlots.Inventory(GptDisk.ReadTable(disk.Path), Root, PatternList.Parse(["os-@v-@r"]), disk.Path).Instances);
        Assert.Equal("v1", instance.Version);
        Assert.True(instance.Metadata.ReadOnly);

        using var other = new SlotDisk($"size=256, type={SlotDisk.Root}, name=os-v1-0, attrs=\"GUID:60\"\n");
        Assert.False(Assert.Single(PartitionSlots.Inventory(GptDisk.ReadTable(other.Path), Root, PatternList.Parse(["os-@v-@r"]), other.Path).Instances).Metadata.ReadOnly);
    }

    [Theory]
    [InlineData(null, 1)]         // size unknown: the smallest free slot
    [InlineData(1000L, 1)]
    [InlineData(2048L * 512, 1)]  // exactly the smallest
    [InlineData(2048L * 512 + 1, 0)]
    [InlineData(4096L * 512, 0)]  // equal sizes: the first in table order
    public void Choose_takes_the_smallest_free_slot_that_fits(long? size, int expectedIndex)
    {
        PartitionSlot[] free =
        [
            new(0, 10_000, 14_095, 512, "d1"),
            new(1, 20_000, 22_047, 512, "d2"),
            new(2, 30_000, 34_095, 512, "d3"),
        ];
        Assert.Equal(expectedIndex, PartitionSlots.Choose(free, size, "x").Index);
    }

    [Fact]
    public void Choose_refuses_a_payload_larger_than_every_free_slot_naming_the_sizes()
    {
        PartitionSlot[] free = [new(0, 10_000, 14_095, 512, "/dev/loop7p1"), new(1, 20_000, 22_047, 512, "/dev/loop7p2")];
        var e = Assert.Throws<UpdateException>(() => PartitionSlots.Choose(free, 4096L * 512 + 1, "'os-v2.raw'"));
        Assert.Contains("2097153 bytes", e.Message);
        Assert.Contains("/dev/loop7p1", e.Message);
        Assert.Contains("2097152 bytes", e.Message);
    }

    [Fact]
    public void Choose_refuses_when_no_slot_is_free()
    {
        var e = Assert.Throws<UpdateException>(() => PartitionSlots.Choose([], null, "'os-v2.raw'"));
        Assert.Contains("No available partition", e.Message);
    }

    [Fact]
    public void The_state_changes_write_the_types_labels_and_attributes_of_the_design()
    {
        var entry = new PartitionEntry { Type = Root, UniqueId = Guid.NewGuid(), StartingLba = 2048, EndingLba = 4095, Name = "_empty", Attributes = PartitionAttributes.RequiredPartition };

        var claimed = PartitionSlots.Claim(entry, Root);
        Assert.Equal(PartitionStates.PartialTypeFor(Root), claimed.Type);
        Assert.Equal("_empty", claimed.Name);
        Assert.Equal(entry.UniqueId, claimed.UniqueId);

        var uuid = Guid.NewGuid();
        var pending = PartitionSlots.MarkPending(claimed, Root, "part1-v2", new InstanceMetadata { Version = "v2", PartitionUuid = uuid, ReadOnly = true, NoAuto = true });
        Assert.Equal(PartitionStates.PendingTypeFor(Root), pending.Type);
        Assert.Equal("part1-v2", pending.Name);
        Assert.Equal(uuid, pending.UniqueId);
        Assert.Equal(PartitionAttributes.RequiredPartition | PartitionAttributes.ReadOnly | PartitionAttributes.NoAuto, pending.Attributes);
        Assert.Equal((2048UL, 4095UL), (pending.StartingLba, pending.EndingLba));

        var installed = PartitionSlots.Install(pending, Root);
        Assert.Equal(Root, installed.Type);
        Assert.Equal("part1-v2", installed.Name);
        Assert.Equal(pending.Attributes, installed.Attributes);

        var partial = PartitionSlots.MarkPartial(claimed, Root, "part1-v2");
        Assert.Equal((PartitionStates.PartialTypeFor(Root), "part1-v2"), (partial.Type, partial.Name));

        var released = PartitionSlots.Release(installed, Root);
        Assert.Equal((Root, "_empty", uuid, installed.Attributes), (released.Type, released.Name, released.UniqueId, released.Attributes));
    }

    [Theory]
    [InlineData(null, null, null, null, 0x1UL)]                                  // nothing set: unchanged
    [InlineData(0x4UL, null, null, null, 0x4UL)]                                 // PartitionFlags= replaces the word
    [InlineData(0x4UL, true, null, null, 0x4UL | (1UL << 60))]                   // then ReadOnly= sets its bit
    [InlineData(null, false, null, null, 0x1UL)]
    [InlineData((1UL << 60) | 1, false, null, null, 0x1UL)]                      // ReadOnly=no clears it
    [InlineData(null, null, true, true, 0x1UL | (1UL << 63) | (1UL << 59))]
    public void Pending_applies_flags_then_the_three_bits(ulong? flags, bool? readOnly, bool? noAuto, bool? grow, ulong expected)
    {
        var entry = new PartitionEntry { Type = Root, StartingLba = 34, EndingLba = 99, Name = "_empty", Attributes = 0x1 };
        var metadata = new InstanceMetadata { Version = "v1", PartitionFlags = flags, ReadOnly = readOnly, NoAuto = noAuto, GrowFileSystem = grow };
        Assert.Equal(expected, PartitionSlots.MarkPending(entry, Root, "l", metadata).Attributes);
    }

    [Fact]
    public void Pending_leaves_the_bits_alone_on_types_that_do_not_define_them()
    {
        var entry = new PartitionEntry { Type = PartitionType.Esp, StartingLba = 34, EndingLba = 99, Name = "_empty" };
        var metadata = new InstanceMetadata { Version = "v1", ReadOnly = true, NoAuto = true, GrowFileSystem = true };
        Assert.Equal(0UL, PartitionSlots.MarkPending(entry, PartitionType.Esp, "l", metadata).Attributes);
    }

    [Theory]
    [InlineData("root-x86-64", "root")]
    [InlineData("root-x86-64-verity", "root-verity")]
    [InlineData("usr-arm64-verity-sig", "usr-verity-sig")]
    [InlineData("root-secondary", "root")]
    [InlineData("xbootldr", "xbootldr")]
    [InlineData("linux-generic", "linux-generic")]
    public void Kind_strips_the_architecture(string name, string kind)
    {
        Assert.True(PartitionType.TryParse(name, out var type));
        Assert.Equal(kind, PartitionTypeTraits.Kind(type));
    }

    [Theory]
    [InlineData("root-x86-64", true, true, true)]
    [InlineData("root-x86-64-verity", true, false, true)]
    [InlineData("root-x86-64-verity-sig", true, false, false)]
    [InlineData("swap", false, false, true)]
    [InlineData("esp", false, false, false)]
    [InlineData("linux-generic", false, false, false)]
    public void The_bits_each_type_defines_follow_systemd(string name, bool readOnly, bool grow, bool noAuto)
    {
        Assert.True(PartitionType.TryParse(name, out var type));
        Assert.Equal((readOnly, grow, noAuto), (PartitionTypeTraits.KnowsReadOnly(type), PartitionTypeTraits.KnowsGrowFileSystem(type), PartitionTypeTraits.KnowsNoAuto(type)));
    }

    [Theory]
    [InlineData("/dev/sda", 2, "/dev/sda2")]
    [InlineData("/dev/loop0", 1, "/dev/loop0p1")]
    [InlineData("/dev/nvme0n1", 3, "/dev/nvme0n1p3")]
    [InlineData("/dev/mapper/disk", 1, "/dev/mapper/disk-part1")]
    [InlineData("/dev/disk/by-id/usb-x", 4, "/dev/disk/by-id/usb-x-part4")]
    [InlineData("/var/tmp/72-joined.raw", 1, "/var/tmp/72-joined.raw1")]
    public void Device_names_follow_libfdisk(string disk, int number, string expected) =>
        Assert.Equal(expected, PartitionSlots.DeviceName(disk, number));
}
