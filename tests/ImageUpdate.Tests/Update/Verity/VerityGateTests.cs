using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Resources;
using ImageUpdate.Update.Verity;

namespace ImageUpdate.Tests.Update.Verity;

public sealed class VerityGateTests
{
    private static readonly VerityGroup Group = new("usr-x86-64", "usrhash", "12-usr", "11-usr-verity", "10-usr-verity-sig", ["20-uki"]);
    private static readonly VerityGroup Unsigned = Group with { SignatureTransfer = null };

    private static VerityCopy Copy(string path, bool writtenNow) => new(null!, new FileLocation(path), null, writtenNow);

    private int _loads;

    private VerityTrust Load()
    {
        _loads++;
        return new VerityTrust([], "/etc/verity.d");
    }

    [Fact]
    public void A_group_written_now_whose_hash_copy_is_unknown_is_refused_not_skipped()
    {
        var copies = new Dictionary<string, VerityCopy> { ["12-usr"] = Copy("/d", writtenNow: true), ["20-uki"] = Copy("/u", writtenNow: true) };

        var error = Assert.Throws<VerificationException>(() => VerityGate.Plan([Group], copies));

        Assert.Equal("Verity partition usr-x86-64 cannot be checked: its hash transfer '11-usr-verity' has no copy of this version, refusing.", error.Message);
    }

    [Fact]
    public void A_group_with_nothing_written_now_is_not_checked()
    {
        var copies = new Dictionary<string, VerityCopy> { ["12-usr"] = Copy("/d", writtenNow: false) };

        Assert.Empty(VerityGate.Plan([Group], copies));
    }

    [Fact]
    public void A_disabled_half_of_a_pair_written_now_is_refused_before_the_trust_is_loaded()
    {
        var unpaired = new UnpairedVerityPartition("usr-x86-64", "12-usr", "11-usr-verity", "hash");

        var error = Assert.Throws<ConfigurationException>(() => VerityGate.Prepare([], [unpaired], new HashSet<string> { "12-usr", "20-uki" }, "2", Load));

        Assert.Equal("Verity partition usr-x86-64 of '2' cannot be checked before it becomes bootable: its hash transfer '11-usr-verity' is disabled while '12-usr' is enabled, refusing.", error.Message);
        Assert.Equal(0, _loads);
    }

    [Fact]
    public void A_disabled_half_whose_other_half_is_not_written_now_is_no_refusal()
    {
        var unpaired = new UnpairedVerityPartition("usr-x86-64", "12-usr", "11-usr-verity", "hash");

        Assert.Same(VerityTrust.None, VerityGate.Prepare([], [unpaired], new HashSet<string> { "20-uki" }, "2", Load));
    }

    [Fact]
    public void The_trust_is_loaded_once_up_front_only_for_a_group_with_a_signature_partition_written_now()
    {

        Assert.Same(VerityTrust.None, VerityGate.Prepare([Unsigned], [], new HashSet<string> { "12-usr" }, "2", Load));
        Assert.Same(VerityTrust.None, VerityGate.Prepare([Group], [], new HashSet<string> { "30-other" }, "2", Load));
        Assert.Equal(0, _loads);
        Assert.Equal("/etc/verity.d", VerityGate.Prepare([Group], [], new HashSet<string> { "20-uki" }, "2", Load).Origin);
        Assert.Equal(1, _loads);
    }
}
