using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Planning;
using ImageUpdate.Model.Resources;
using ImageUpdate.Systemd.BootCounting;
using static ImageUpdate.Tests.Model.Planning.Inventories;

namespace ImageUpdate.Tests.Model.Planning;

/// <summary>image-update's extension: a version whose UKI has no boot tries left is bad.</summary>
public sealed class BadVersionPlanningTests
{
    private static readonly Func<string, bool> NothingProtected = _ => false;

    /// <summary>A UKI instance with boot counters, as a pattern with @l/@d matches it.</summary>
    private static Instance Uki(string version, ulong? left, ulong? done = null) =>
        new($"/EFI/Linux/os_{version}.efi", new InstanceMetadata { Version = version, TriesLeft = left, TriesDone = done });

    /// <summary>A root file system and a UKI per version; the UKI of each listed bad version has +0.</summary>
    private static UpdatePlan Plan(string[] available, string[] installed, params string[] bad) => UpdateSetPlanner.Discover(
        [
            Transfer(Of(available), Of(installed)),
            Transfer(Of(available), With(installed.Select(v => Uki(v, bad.Contains(v) ? 0ul : null, bad.Contains(v) ? 1ul : null)).ToArray())),
        ],
        offline: false);

    [Fact]
    public void A_UKI_with_no_tries_left_makes_its_version_bad_and_the_next_one_current()
    {
        var plan = Plan(["1", "2", "3"], ["1", "2", "3"], "3");

        Assert.Equal("bad", plan.Find("3")!.Assessment);
        Assert.Equal("current", plan.Find("2")!.Assessment);
        Assert.Equal("installed", plan.Find("1")!.Assessment);
        Assert.Equal("2", plan.NewestInstalled?.Version);
        Assert.Null(plan.Candidate);
    }

    [Fact]
    public void Tries_left_or_no_counter_is_not_bad()
    {
        var plan = UpdateSetPlanner.Discover([Transfer(Of(), With(Uki("1", null), Uki("2", 2, 1)))], offline: false);

        Assert.All(plan.Sets, s => Assert.False(s.Has(UpdateSetFlags.Bad)));
        Assert.Equal("current", plan.Find("2")!.Assessment);
    }

    [Fact]
    public void A_partial_copy_with_no_tries_left_is_not_bad()
    {
        var partial = new Instance("/EFI/Linux/.os_3.efi", new InstanceMetadata { Version = "3", TriesLeft = 0 }, IsPartial: true);

        var plan = UpdateSetPlanner.Discover([Transfer(Of("3"), With(Uki("2", null), partial))], offline: false);

        Assert.False(plan.Find("3")!.Has(UpdateSetFlags.Bad));
    }

    [Fact]
    public void A_bad_version_is_never_offered_again()
    {
        Assert.Null(Plan(["1", "2", "3"], ["2", "3"], "3").Candidate);
    }

    [Fact]
    public void A_version_older_than_the_newest_bad_one_is_not_offered_even_if_newer_than_current()
    {
        // 3 failed; the server has withdrawn it but still offers 2.5: still not an update.
        Assert.Null(Plan(["1", "2", "2.5"], ["2", "3"], "3").Candidate);
    }

    [Fact]
    public void A_version_newer_than_the_bad_one_is_offered()
    {
        var plan = Plan(["2", "3", "4"], ["2", "3"], "3");

        Assert.Equal("4", plan.Candidate?.Version);
        Assert.Equal("candidate", plan.Find("4")!.Assessment);
    }

    [Fact]
    public void The_vacuum_verb_removes_every_bad_version_before_old_ones()
    {
        var target = With(Uki("1", null), Uki("2", null), Uki("3", 0, 1));

        var removals = VacuumPlanner.Plan(target, instancesMax: 3, space: 0, NothingProtected, null, v => v == "3");

        Assert.Equal(["3"], removals.Select(r => r.Instance.Version));
        Assert.Equal(RemovalReason.Bad, removals[0].Reason);
    }

    [Fact]
    public void Making_room_takes_a_bad_version_before_the_oldest()
    {
        var target = With(Uki("1", null), Uki("2", null), Uki("3", 0, 1));

        Assert.Empty(VacuumPlanner.Plan(target, instancesMax: 4, space: 1, NothingProtected, null, v => v == "3"));
        var removals = VacuumPlanner.Plan(target, instancesMax: 3, space: 1, NothingProtected, null, v => v == "3");
        Assert.Equal([("3", RemovalReason.Bad)], removals.Select(r => (r.Instance.Version, r.Reason)));
    }

    [Fact]
    public void A_protected_bad_version_and_the_last_copy_are_kept()
    {
        Assert.Empty(VacuumPlanner.Plan(With(Uki("1", null), Uki("3", 0)), instancesMax: 3, space: 0, v => v == "3", null, v => v == "3"));
        Assert.Empty(VacuumPlanner.Plan(With(Uki("3", 0)), instancesMax: 3, space: 0, NothingProtected, null, v => v == "3"));
    }

    [Fact]
    public void Rollback_goes_to_the_newest_older_version_known_good()
    {
        var plan = Plan(["1", "2", "3"], ["1", "2", "3"], "2");

        Assert.Equal("1", RollbackPlanner.ChooseTarget(plan, "3").Version);
        Assert.Empty(RollbackPlanner.NewerBootable(plan, "3"));
    }

    [Fact]
    public void Rollback_skips_an_older_version_that_was_never_blessed()
    {
        // 2 still counts its tries: it has not proven itself in a boot.
        var plan = UpdateSetPlanner.Discover(
            [Transfer(Of(), With(Uki("1", null), Uki("2", 3, 0), Uki("3", null)))],
            offline: true);

        Assert.Equal("1", RollbackPlanner.ChooseTarget(plan, "3").Version);
    }

    [Fact]
    public void Rollback_is_refused_when_a_newer_version_would_boot_instead()
    {
        var plan = Plan(["1", "2", "3", "4"], ["1", "2", "3", "4"], "2");

        Assert.Equal(["4"], RollbackPlanner.NewerBootable(plan, "3").Select(s => s.Version));
        var e = Assert.Throws<BootCountingException>(() => RollbackPlanner.ChooseTarget(plan, "3"));
        Assert.Contains("'4' is installed, newer and not bad", e.Message);
    }

    [Fact]
    public void Rollback_refuses_when_nothing_older_is_known_good()
    {
        var plan = Plan(["1", "2"], ["1", "2"], "1");

        var e = Assert.Throws<BootCountingException>(() => RollbackPlanner.ChooseTarget(plan, "2"));

        Assert.Contains("Refusing to roll back from '2'", e.Message);
    }
}
