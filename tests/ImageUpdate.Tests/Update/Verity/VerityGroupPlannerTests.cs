using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Tests.Model.Definitions;
using ImageUpdate.Update.Verity;

namespace ImageUpdate.Tests.Update.Verity;

public sealed class VerityGroupPlannerTests
{
    private static IReadOnlyList<TransferDefinition> Load(string definitions, string root) =>
        DefinitionLoader.Load(new DefinitionLoadOptions { DefinitionsDirectory = definitions, Root = root, Specifiers = TempTree.Specifiers() }).Transfers;

    [Fact]
    public void ParticleOS_transfers_make_one_usr_group_with_its_signature_partition_and_UKI()
    {
        using var image = new ParticleOsLikeImage(rooted: true);

        var group = Assert.Single(VerityGroupPlanner.Plan(Load(image.Definitions, image.Work)));

        Assert.Equal(new VerityGroup("usr-x86-64", "usrhash", "12-usr", "11-usr-verity", "10-usr-verity-sig", ["20-uki"]), group);
    }

    [Fact]
    public void A_data_and_hash_pair_nothing_could_sign_forms_no_group()
    {
        // systemd v252's TEST-72 layout: random root and root-verity payloads, no UKI, no signature.
        using var tree = new TempTree();
        tree.Write("defs/01-first.conf", "[Source]\nType=regular-file\nPath=/src\nMatchPattern=part1-@v.raw\n\n[Target]\nType=partition\nPath=/disk.raw\nMatchPattern=part1-@v\nMatchPartitionType=root-x86-64\n");
        tree.Write("defs/02-second.conf", "[Source]\nType=regular-file\nPath=/src\nMatchPattern=part2-@v.raw\n\n[Target]\nType=partition\nPath=/disk.raw\nMatchPattern=part2-@v\nMatchPartitionType=root-x86-64-verity\n");

        Assert.Empty(VerityGroupPlanner.Plan(Load(Path.Combine(tree.Root, "defs"), tree.Root)));
    }

    [Fact]
    public void Two_transfers_for_one_verity_role_are_ambiguous()
    {
        using var image = new ParticleOsLikeImage(rooted: true);
        File.Copy(Path.Combine(image.Definitions, "11-usr-verity.transfer"), Path.Combine(image.Definitions, "13-more-verity.transfer"));

        var error = Assert.Throws<ConfigurationException>(() => VerityGroupPlanner.Plan(Load(image.Definitions, image.Work)));

        Assert.Equal("Transfers '11-usr-verity' and '13-more-verity' both write partitions of type usr-x86-64-verity: which verity partitions belong together is ambiguous.", error.Message);
    }

    [Theory]
    [InlineData("11-usr-verity", "12-usr", "hash")]
    [InlineData("12-usr", "11-usr-verity", "data")]
    public void A_half_of_a_pair_whose_other_half_is_disabled_is_unpaired(string disabled, string enabled, string role)
    {
        using var image = new ParticleOsLikeImage(rooted: true);
        var transfers = Load(image.Definitions, image.Work);

        var unpaired = VerityGroupPlanner.Unpaired(transfers.Where(t => t.Id != disabled), transfers.Where(t => t.Id == disabled));

        Assert.Equal([new UnpairedVerityPartition("usr-x86-64", enabled, disabled, role)], unpaired);
    }

    [Fact]
    public void A_pair_nothing_could_sign_is_not_unpaired_by_a_disabled_half()
    {
        using var image = new ParticleOsLikeImage(rooted: true);
        var transfers = Load(image.Definitions, image.Work);
        var off = new[] { "10-usr-verity-sig", "11-usr-verity", "20-uki" };

        Assert.Empty(VerityGroupPlanner.Unpaired(transfers.Where(t => !off.Contains(t.Id)), transfers.Where(t => off.Contains(t.Id))));
        Assert.Empty(VerityGroupPlanner.Unpaired(transfers, []));
    }
}
