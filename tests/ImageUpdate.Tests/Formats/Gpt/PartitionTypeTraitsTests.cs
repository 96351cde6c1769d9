using ImageUpdate.Formats.Gpt;

namespace ImageUpdate.Tests.Formats.Gpt;

/// <summary>
/// The one table of which attribute bits a type gives meaning to (gpt.c's gpt_partition_type_knows_*),
/// which sysupdate's partition targets and the build-image layout both read; pinned for the verity
/// types, where systemd 252 and later disagree (252 did not let verity signature partitions be read-only).
/// </summary>
public sealed class PartitionTypeTraitsTests
{
    [Theory]
    [InlineData("root-x86-64-verity", "root-verity", true, false, true, true)]
    [InlineData("usr-x86-64-verity", "usr-verity", true, false, true, true)]
    [InlineData("root-arm64-verity", "root-verity", true, false, true, true)]
    [InlineData("root-x86-64-verity-sig", "root-verity-sig", true, false, false, false)]
    [InlineData("usr-x86-64-verity-sig", "usr-verity-sig", true, false, false, false)]
    [InlineData("usr-riscv64-verity-sig", "usr-verity-sig", true, false, false, false)]
    [InlineData("root-x86-64", "root", true, true, true, false)]
    [InlineData("swap", "swap", false, false, true, false)]
    [InlineData("esp", "esp", false, false, false, false)]
    public void Verity_and_verity_signature_types_know_the_bits_systemd_gives_them(string name, string kind, bool readOnly, bool grow, bool noAuto, bool verityHash)
    {
        Assert.True(PartitionType.TryParse(name, out var type));

        Assert.Equal(kind, PartitionTypeTraits.Kind(type));
        Assert.Equal(
            (readOnly, grow, noAuto, verityHash),
            (PartitionTypeTraits.KnowsReadOnly(type), PartitionTypeTraits.KnowsGrowFileSystem(type), PartitionTypeTraits.KnowsNoAuto(type), PartitionTypeTraits.IsVerityHash(type)));
    }

    [Fact]
    public void A_type_outside_the_specification_knows_no_bits()
    {
        var type = new Guid("11111111-2222-3333-4444-555555555555");

        Assert.Null(PartitionTypeTraits.Kind(type));
        Assert.False(PartitionTypeTraits.KnowsReadOnly(type) || PartitionTypeTraits.KnowsGrowFileSystem(type) || PartitionTypeTraits.KnowsNoAuto(type));
    }
}
