using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Planning;
using static ImageUpdate.Tests.Model.Planning.Inventories;

namespace ImageUpdate.Tests.Model.Planning;

public sealed class VacuumPlannerTests
{
    private static readonly Func<string, bool> NothingProtected = _ => false;

    [Fact]
    public void Vacuum_removes_the_oldest_until_within_InstancesMax()
    {
        var removals = VacuumPlanner.Plan(Of("1", "2", "3", "4"), instancesMax: 2, space: 0, NothingProtected, null);

        Assert.Equal(["1", "2"], removals.Select(r => r.Instance.Version));
        Assert.All(removals, r => Assert.Equal(RemovalReason.Old, r.Reason));
    }

    [Fact]
    public void Making_room_for_one_keeps_InstancesMax_minus_one()
    {
        var removals = VacuumPlanner.Plan(Of("1", "2", "3"), instancesMax: 3, space: 1, NothingProtected, null);

        Assert.Equal(["1"], removals.Select(r => r.Instance.Version));
    }

    [Fact]
    public void Protected_versions_are_skipped_and_the_next_oldest_goes()
    {
        var removals = VacuumPlanner.Plan(Of("1", "2", "3", "4"), instancesMax: 3, space: 1, v => v == "1", null);

        Assert.Equal(["2", "3"], removals.Select(r => r.Instance.Version));
    }

    [Fact]
    public void A_protected_old_version_counts_against_the_limit_so_newer_ones_go()
    {
        // As sysupdate: room for one new instance with InstancesMax=2 keeps only the booted (protected) one.
        var removals = VacuumPlanner.Plan(Of("1", "2", "3"), instancesMax: 2, space: 1, v => v == "1", null);

        Assert.Equal(["2", "3"], removals.Select(r => r.Instance.Version));
    }

    [Fact]
    public void When_everything_left_is_protected_nothing_more_is_removed()
    {
        var removals = VacuumPlanner.Plan(Of("1", "2"), instancesMax: 2, space: 1, _ => true, null);

        Assert.Empty(removals);
    }

    [Fact]
    public void Partial_and_pending_copies_go_first_unless_pending_and_protected()
    {
        var inventory = With(At("1"), At("2", partial: true), At("3", pending: true), At("4", pending: true));
        var removals = VacuumPlanner.Plan(inventory, instancesMax: 5, space: 0, v => v == "4", null);

        Assert.Equal([("2", RemovalReason.Partial), ("3", RemovalReason.Pending)], removals.Select(r => (r.Instance.Version, r.Reason)).Order());
    }

    [Fact]
    public void Unlimited_InstancesMax_removes_only_leftovers()
    {
        var removals = VacuumPlanner.Plan(Of("1", "2", "3"), int.MaxValue, space: 1, NothingProtected, null);

        Assert.Empty(removals);
    }

    [Fact]
    public void Wiping_a_disabled_transfer_removes_every_unprotected_instance()
    {
        var removals = VacuumPlanner.Plan(Of("1", "2"), instancesMax: 3, VacuumPlanner.WipeAll, NothingProtected, null);

        Assert.Equal(["1", "2"], removals.Select(r => r.Instance.Version).Order());
        Assert.All(removals, r => Assert.Equal(RemovalReason.Disabled, r.Reason));
    }

    [Theory]
    [InlineData(2, 2, "one instance must always remain")]
    [InlineData(2, 3, "more instances than the total maximum")]
    public void Asking_for_too_much_room_is_refused(int instancesMax, int space, string message)
    {
        var error = Assert.Throws<UpdateException>(() => VacuumPlanner.Plan(Of("1"), instancesMax, space, NothingProtected, null));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_partition_table_needs_two_slots_of_the_type()
    {
        var error = Assert.Throws<UpdateException>(() => VacuumPlanner.Plan(new(Of("1").Instances, emptySlots: 0), int.MaxValue, 1, NothingProtected, new SlotTable("root-x86-64")));
        Assert.Contains("less than two partition slots", error.Message);
    }

    [Fact]
    public void A_free_partition_slot_means_nothing_has_to_go()
    {
        var removals = VacuumPlanner.Plan(new(Of("1").Instances, emptySlots: 1), int.MaxValue, 1, NothingProtected, new SlotTable("root"));

        Assert.Empty(removals);
    }

    [Fact]
    public void A_full_partition_table_frees_the_oldest_slot()
    {
        var removals = VacuumPlanner.Plan(Of("1", "2"), int.MaxValue, 1, NothingProtected, new SlotTable("root"));

        Assert.Equal(["1"], removals.Select(r => r.Instance.Version));
    }
}
