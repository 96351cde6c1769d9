using ImageUpdate.Model.Planning;
using static ImageUpdate.Tests.Model.Planning.Inventories;

namespace ImageUpdate.Tests.Model.Planning;

public sealed class UpdateSetPlannerTests
{
    private static UpdatePlan Plan(params TransferInventory[] transfers) => UpdateSetPlanner.Discover(transfers, offline: false);

    [Fact]
    public void The_newest_available_version_not_installed_is_the_candidate()
    {
        var plan = Plan(Transfer(Of("1", "2", "3"), Of("1")));

        Assert.Equal("3", plan.Candidate?.Version);
        Assert.Equal(["3", "2", "1"], plan.Sets.Select(s => s.Version));
        Assert.Equal("candidate", plan.Find("3")!.Assessment);
        Assert.Equal("available", plan.Find("2")!.Assessment);
        Assert.Equal("current", plan.Find("1")!.Assessment);
    }

    [Fact]
    public void Nothing_is_offered_when_the_newest_is_installed()
    {
        var plan = Plan(Transfer(Of("1", "2"), Of("2")));

        Assert.Null(plan.Candidate);
        Assert.Equal("2", plan.NewestInstalled?.Version);
    }

    [Fact]
    public void An_installed_version_newer_than_every_available_one_suppresses_the_candidate()
    {
        var plan = Plan(Transfer(Of("1", "2"), Of("3")));

        Assert.Null(plan.Candidate);
        Assert.Equal("available", plan.Find("2")!.Assessment);
    }

    [Fact]
    public void A_version_missing_from_one_source_is_never_offered()
    {
        var plan = Plan(
            Transfer(Of("3", "4"), Of("3")),
            Transfer(Of("3"), Of("3")));

        Assert.Null(plan.Candidate);
        Assert.Null(plan.Find("4"));
    }

    [Fact]
    public void A_skipped_incomplete_version_lets_an_older_complete_one_be_the_candidate()
    {
        var plan = Plan(
            Transfer(Of("4", "5", "6"), Of("4")),
            Transfer(Of("4", "5"), Of("4")));

        Assert.Equal("5", plan.Candidate?.Version);
        Assert.Null(plan.Find("6"));
    }

    [Fact]
    public void An_installed_version_missing_a_transfer_is_incomplete_but_installed()
    {
        var plan = UpdateSetPlanner.Discover(
            [Transfer(Of("5"), Of("5")), Transfer(Of("5"), Of())],
            offline: true);

        var set = plan.Find("5")!;
        Assert.True(set.Has(UpdateSetFlags.Installed | UpdateSetFlags.Incomplete | UpdateSetFlags.Newest));
        Assert.Equal("current+incomplete", set.Assessment);
        Assert.Null(plan.Candidate);
    }

    [Fact]
    public void The_newest_installed_incomplete_version_is_repaired_when_available()
    {
        var plan = Plan(Transfer(Of("5"), Of("5"), id: "a"), Transfer(Of("5"), Of(), id: "b"));

        Assert.Equal("5", plan.Candidate?.Version);
        var set = plan.Candidate!;
        Assert.True(set.Has(UpdateSetFlags.Available | UpdateSetFlags.Installed | UpdateSetFlags.Incomplete));
        Assert.NotNull(set.For("b"));
        Assert.Equal("/x/5", set.For("b")!.Instance.Path);
        Assert.Equal(InstanceOrigin.Source, set.For("b")!.Origin);
        Assert.Equal(InstanceOrigin.Target, set.For("a")!.Origin);
    }

    [Fact]
    public void Versions_older_than_MinVersion_are_obsolete_and_never_the_candidate()
    {
        var plan = Plan(Transfer(Of("1", "2"), Of(), minVersion: "3"));

        Assert.Null(plan.Candidate);
        Assert.Equal("available+obsolete", plan.Find("2")!.Assessment);
    }

    [Fact]
    public void Versions_newer_than_MaxVersion_are_never_the_candidate()
    {
        var plan = Plan(Transfer(Of("1", "2", "3"), Of("1"), maxVersion: "2"));

        Assert.Null(plan.Candidate);
        Assert.Equal("available+too-new", plan.Find("3")!.Assessment);
    }

    [Fact]
    public void Protected_installed_versions_are_marked_protected()
    {
        var plan = Plan(Transfer(Of(), Of("1", "2"), null, null, null, "1"));

        Assert.Equal("protected", plan.Find("1")!.Assessment);
        Assert.Equal("current", plan.Find("2")!.Assessment);
    }

    [Fact]
    public void A_partial_copy_marks_the_set_partial_and_makes_it_the_candidate()
    {
        var plan = Plan(Transfer(Of("8", "9"), With(At("8"), At("9", partial: true))));

        var set = plan.Find("9")!;
        Assert.True(set.Has(UpdateSetFlags.Partial));
        Assert.False(set.Has(UpdateSetFlags.Incomplete));
        Assert.Equal("current+partial", set.Assessment);
        Assert.Equal("9", plan.Candidate?.Version);
    }

    [Fact]
    public void A_pending_copy_marks_the_set_pending()
    {
        var plan = UpdateSetPlanner.Discover([Transfer(Of(), With(At("1"), At("2", pending: true)))], offline: true);

        Assert.Equal("current+pending", plan.Find("2")!.Assessment);
        Assert.Equal("2", plan.Candidate?.Version);
    }

    [Fact]
    public void Offline_planning_ignores_the_sources()
    {
        var plan = UpdateSetPlanner.Discover([Transfer(Of("1", "2"), Of("1"))], offline: true);

        Assert.Null(plan.Candidate);
        Assert.Single(plan.Sets);
    }

    [Fact]
    public void Sets_are_ordered_by_version_not_by_text()
    {
        var plan = Plan(Transfer(Of("9", "10", "1.10", "1.9"), Of()));

        Assert.Equal(["10", "9", "1.10", "1.9"], plan.Sets.Select(s => s.Version));
    }

    [Fact]
    public void An_empty_world_has_no_sets()
    {
        var plan = Plan(Transfer(Of(), Of()));

        Assert.Empty(plan.Sets);
        Assert.Null(plan.Candidate);
        Assert.Null(plan.NewestInstalled);
    }
}
