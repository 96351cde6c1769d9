using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Planning;
using ImageUpdate.Model.Resources;
using static ImageUpdate.Tests.Model.Planning.Inventories;

namespace ImageUpdate.Tests.Model.Planning;

public sealed class StepPlannerTests
{
    private static TransferDefinition Definition(string id, ResourceType sourceType = ResourceType.RegularFile, uint? mode = null, ulong? triesLeft = null) => new(
        id, $"/defs/{id}.transfer", null, null, [], Verify: false, [], [], [], [],
        new SourceDefinition(sourceType, "/src", PathRelativeTo.Root, PatternList.Parse(["x_@v"])),
        new TargetDefinition(ResourceType.RegularFile, "/dst", PathRelativeTo.Root, PatternList.Parse(["x_@v"]), null, null, null, null, null, null, mode, triesLeft, null, 3, true, null));

    private static UpdatePlan Plan(params TransferInventory[] transfers) => UpdateSetPlanner.Discover(transfers, offline: false);

    private static UpdateSteps Acquire(UpdatePlan plan, string? version, params (TransferDefinition Definition, TransferInventory Inventory)[] transfers) =>
        StepPlanner.PlanAcquire(plan, version, transfers.Select(t => t.Definition).ToList(), transfers.ToDictionary(t => t.Definition.Id, t => t.Inventory.Target));

    [Fact]
    public void The_candidate_is_acquired_from_every_source_with_compiled_metadata()
    {
        var a = Transfer(Of("1", "2"), Of("1"), id: "a");
        var b = Transfer(Of("1", "2"), Of("1"), id: "b");
        var plan = Plan(a, b);

        var steps = Acquire(plan, null, (Definition("a", mode: 420u), a), (Definition("b", triesLeft: 5), b));

        Assert.Equal(StepDecision.Proceed, steps.Decision);
        Assert.Equal("2", steps.Set!.Version);
        Assert.Equal([StepNote.Selected], steps.Notes);
        var first = Assert.IsType<AcquireFromSource>(steps.For("a"));
        Assert.Equal("/x/2", first.Source.Path);
        Assert.Equal((420u, 0ul, 3ul), (first.Metadata.Mode!.Value, first.Metadata.TriesDone!.Value, first.Metadata.TriesLeft!.Value));
        var second = Assert.IsType<AcquireFromSource>(steps.For("b"));
        Assert.Equal(5ul, second.Metadata.TriesLeft);
        Assert.True(steps.Acquires);
    }

    [Fact]
    public void Nothing_newer_is_nothing_to_do_with_the_sysupdate_note()
    {
        var a = Transfer(Of("1"), Of("1"), id: "a");

        var steps = Acquire(Plan(a), null, (Definition("a"), a));

        Assert.Equal(StepDecision.NothingToDo, steps.Decision);
        Assert.Null(steps.Set);
        Assert.Equal([StepNote.NoUpdateNeeded], steps.Notes);
        Assert.Empty(steps.Steps);
    }

    [Fact]
    public void An_installed_version_asked_for_is_already_installed()
    {
        var a = Transfer(Of("1", "2"), Of("1", "2"), id: "a");

        var steps = Acquire(Plan(a), "2", (Definition("a"), a));

        Assert.Equal(StepDecision.AlreadyInstalled, steps.Decision);
        Assert.Equal([StepNote.AlreadyInstalled], steps.Notes);
    }

    [Fact]
    public void An_unknown_version_is_refused_with_its_name_escaped()
    {
        var a = Transfer(Of("1"), Of("1"), id: "a");

        var steps = Acquire(Plan(a), "9\u001b", (Definition("a"), a));

        Assert.Equal(StepDecision.Refused, steps.Decision);
        Assert.Equal("Update '9\\x1b' not found.", steps.Refusal);
    }

    [Fact]
    public void A_partial_set_asks_for_a_vacuum()
    {
        var a = Transfer(Of("1", "2"), With(At("1"), At("2", partial: true)), id: "a");

        var steps = Acquire(Plan(a), "2", (Definition("a"), a));

        Assert.Equal("Selected update '2' is already acquired and partially installed. Vacuum it to try installing again.", steps.Refusal);
    }

    [Fact]
    public void A_cut_short_pending_set_installs_what_is_pending_and_acquires_the_rest()
    {
        var a = Transfer(Of("1", "2"), With(At("1"), At("2", pending: true)), id: "a");
        var b = Transfer(Of("1", "2"), Of("1"), id: "b");
        var plan = Plan(a, b);

        var steps = Acquire(plan, null, (Definition("a"), a), (Definition("b"), b));

        Assert.Equal(StepDecision.Proceed, steps.Decision);
        Assert.Equal([StepNote.AlreadyPending, StepNote.Selected], steps.Notes);
        Assert.Equal("/x/2", Assert.IsType<InstallPending>(steps.For("a")).Pending.Path);
        Assert.True(Assert.IsType<InstallPending>(steps.For("a")).Pending.IsPending);
        Assert.Equal("/x/2", Assert.IsType<AcquireFromSource>(steps.For("b")).Source.Path);
    }

    [Fact]
    public void An_incomplete_installed_set_is_repaired_keeping_what_is_installed()
    {
        var a = Transfer(Of("5"), Of("5"), id: "a");
        var b = Transfer(Of("5"), Of(), id: "b");

        var steps = Acquire(Plan(a, b), null, (Definition("a"), a), (Definition("b"), b));

        Assert.Equal([StepNote.Repairing, StepNote.Selected], steps.Notes);
        Assert.Equal("/x/5", Assert.IsType<KeepInstalled>(steps.For("a")).Installed.Path);
        Assert.IsType<AcquireFromSource>(steps.For("b"));
    }

    [Fact]
    public void An_incomplete_set_no_source_offers_lacks_the_transfer()
    {
        var a = Transfer(Of(), Of("5"), id: "a");
        var b = Transfer(Of(), Of(), id: "b");

        var steps = StepPlanner.PlanAcquire(UpdateSetPlanner.Discover([a, b], offline: true), "5", [Definition("a"), Definition("b")], new Dictionary<string, ResourceInventory> { ["a"] = a.Target, ["b"] = b.Target });

        Assert.Equal([StepNote.Repairing, StepNote.Selected], steps.Notes);
        Assert.Equal("Selected update '5' lacks transfer 'b' and is not available to complete it, refusing.", steps.Refusal);
    }

    [Fact]
    public void A_pending_set_missing_a_transfer_no_source_offers_is_refused()
    {
        var a = Transfer(Of(), With(At("1"), At("2", pending: true)), id: "a");
        var b = Transfer(Of(), Of("1"), id: "b");

        var steps = Acquire(UpdateSetPlanner.Discover([a, b], offline: true), "2", (Definition("a"), a), (Definition("b"), b));

        Assert.Equal(StepDecision.Refused, steps.Decision);
        Assert.Equal("Selected update '2' lacks transfer 'b' and is not available to complete it, refusing.", steps.Refusal);
    }

    [Fact]
    public void An_obsolete_version_from_the_source_is_refused()
    {
        var a = Transfer(Of("1", "2"), Of("3"), minVersion: "3", id: "a");

        var steps = Acquire(Plan(a), "2", (Definition("a"), a));

        Assert.Equal("Selected update '2' is obsolete, refusing.", steps.Refusal);
        Assert.Empty(steps.Steps);
    }

    [Fact]
    public void An_older_version_warns_before_it_is_selected()
    {
        var a = Transfer(Of("1", "2", "3"), Of("2"), id: "a");

        var steps = Acquire(Plan(a), "1", (Definition("a"), a));

        Assert.Equal([StepNote.NotNewest, StepNote.OlderThanNewestInstalled, StepNote.Selected], steps.Notes);
        Assert.IsType<AcquireFromSource>(steps.For("a"));
    }

    [Fact]
    public void A_tarball_source_keeps_its_own_mtime_and_mode_but_an_installed_copy_keeps_its_own()
    {
        var source = new Instance("/s/x_2.tar", new InstanceMetadata { Version = "2", Mode = 384u, ModificationTimeUsec = 42 });
        var definition = Definition("a", ResourceType.Tar);

        var fromSource = StepPlanner.CompileMetadata(definition, new SetInstance(source, InstanceOrigin.Source));
        var fromTarget = StepPlanner.CompileMetadata(definition, new SetInstance(source, InstanceOrigin.Target));

        Assert.Equal((null, null), (fromSource.Mode, fromSource.ModificationTimeUsec));
        Assert.Equal((384u, 42ul), (fromTarget.Mode!.Value, fromTarget.ModificationTimeUsec!.Value));
    }

    [Fact]
    public void Install_pending_installs_every_pending_copy_and_keeps_the_installed_ones()
    {
        var a = Transfer(Of(), With(At("1"), At("2", pending: true)), id: "a");
        var b = Transfer(Of(), Of("1", "2"), id: "b");

        var steps = StepPlanner.PlanInstallPending(UpdateSetPlanner.Discover([a, b], offline: true), null, [Definition("a"), Definition("b")]);

        Assert.Equal(StepDecision.Proceed, steps.Decision);
        Assert.Equal("2", steps.Set!.Version);
        Assert.IsType<InstallPending>(steps.For("a"));
        Assert.IsType<KeepInstalled>(steps.For("b"));
        Assert.False(steps.Acquires);
    }

    [Theory]
    [InlineData(true, false, "Selected update '2' is only partially downloaded, refusing.")]
    [InlineData(false, false, "Selected update '2' is not pending installation, refusing.")]
    [InlineData(false, true, "Selected update '2' is only partly acquired (transfer 'b' is missing); run 'acquire' or 'update' to complete it.")]
    public void Install_pending_refuses_what_is_not_wholly_pending(bool partial, bool pending, string refusal)
    {
        var a = Transfer(Of("2"), With(At("1"), At("2", partial: partial, pending: pending)), id: "a");
        var b = Transfer(Of("2"), Of("1"), id: "b");

        var steps = StepPlanner.PlanInstallPending(UpdateSetPlanner.Discover([a, b], offline: false), "2", [Definition("a"), Definition("b")]);

        Assert.Equal(StepDecision.Refused, steps.Decision);
        Assert.Equal(refusal, steps.Refusal);
    }
}
