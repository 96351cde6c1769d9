using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Update.Engine;

/// <summary>
/// <see cref="UpdateEngine"/> in process, through its services record and seams: real temporary OS
/// trees, a recording rebooter, inhibitor and observer, so every effect the engine asks for is seen.
/// </summary>
public sealed class UpdateEngineTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<string> _events = [];

    public void Dispose() => _dir.Dispose();

    private string Target(string root) => Path.Combine(root, "srv/target");

    [Fact]
    public async Task Update_acquires_the_candidate_and_installs_it_leaving_no_intermediate_names()
    {
        var root = AppTree.Make(_dir["root"], "1", ["1"], ["1", "2"]);

        var result = await Engine(root).UpdateAsync(null, UpdateActions.All, CancellationToken.None);

        Assert.Equal((UpdateOutcome.Installed, "2"), (result.Outcome, result.Version));
        Assert.Equal(["app_1.bin", "app_2.bin"], Directory.GetFileSystemEntries(Target(root)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("2", File.ReadAllText(Path.Combine(Target(root), "app_2.bin")));
    }

    [Fact]
    public async Task Acquire_leaves_a_pending_copy_that_an_offline_install_makes_final()
    {
        var root = AppTree.Make(_dir["root"], "1", ["1"], ["1", "2"]);

        var acquired = await Engine(root).UpdateAsync(null, UpdateActions.Acquire, CancellationToken.None);
        Assert.Equal(UpdateOutcome.Acquired, acquired.Outcome);
        Assert.True(File.Exists(Path.Combine(Target(root), ".sysupdate.pending.app_2.bin")));
        Assert.False(File.Exists(Path.Combine(Target(root), "app_2.bin")));

        var installed = await Engine(root, offline: true).UpdateAsync(null, UpdateActions.Install, CancellationToken.None);
        Assert.Equal((UpdateOutcome.Installed, "2"), (installed.Outcome, installed.Version));
        Assert.Equal("2", File.ReadAllText(Path.Combine(Target(root), "app_2.bin")));
        Assert.False(File.Exists(Path.Combine(Target(root), ".sysupdate.pending.app_2.bin")));
    }

    [Fact]
    public async Task A_newer_version_asks_the_rebooter_once_after_the_inhibitor_is_released()
    {
        var root = AppTree.Make(_dir["root"], "1", ["1"], ["1", "2"]);

        var result = await Engine(root, reboot: true).UpdateAsync(null, UpdateActions.All, CancellationToken.None);

        Assert.Equal(UpdateOutcome.Installed, result.Outcome);
        Assert.Single(_events, "reboot");
        Assert.Equal(["release", "reboot"], _events[^2..]);
    }

    [Fact]
    public async Task An_installed_version_older_than_the_booted_one_asks_for_no_reboot()
    {
        var root = AppTree.Make(_dir["root"], "3", ["1"], ["1", "2"]);

        var result = await Engine(root, reboot: true).UpdateAsync(null, UpdateActions.All, CancellationToken.None);

        Assert.Equal((UpdateOutcome.Installed, "2"), (result.Outcome, result.Version));
        Assert.DoesNotContain("reboot", _events);
    }

    [Fact]
    public async Task The_inhibitor_is_held_from_making_room_to_the_last_install_and_nothing_writes_outside_it()
    {
        var root = AppTree.Make(_dir["root"], "1", ["1"], ["1", "2"]);

        await Engine(root).UpdateAsync(null, UpdateActions.All, CancellationToken.None);

        var inhibit = _events.IndexOf("inhibit: Writing an update");
        var release = _events.IndexOf("release");
        Assert.Equal(0, inhibit);
        Assert.Equal(_events.Count - 1, release);
        Assert.True(_events.IndexOf("status: Making room for '2'.") > inhibit);
        Assert.True(_events.IndexOf("status: Installed '2'.") < release);
        Assert.Single(_events, e => e.StartsWith("inhibit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nothing_newer_writes_nothing_takes_no_inhibitor_and_asks_for_no_reboot()
    {
        var root = AppTree.Make(_dir["root"], "2", ["1", "2"], ["1", "2"]);
        var before = Directory.GetFileSystemEntries(Target(root)).Order(StringComparer.Ordinal).ToList();

        var result = await Engine(root, reboot: true).UpdateAsync(null, UpdateActions.All, CancellationToken.None);

        Assert.Equal(UpdateOutcome.NothingToDo, result.Outcome);
        Assert.Empty(_events);
        Assert.Equal(before, Directory.GetFileSystemEntries(Target(root)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_pending_set_whose_acquire_was_cut_short_is_resumed_and_installed_whole()
    {
        var root = AppTree.Make(_dir["root"], "1", ["1"], ["1", "2"]);
        AddSecondTransfer(root, installed: ["1"], available: ["1", "2"]);

        // An earlier run acquired transfer 10-app, then was killed before 20-extra.
        File.WriteAllText(Path.Combine(Target(root), ".sysupdate.pending.app_2.bin"), "2");

        var result = await Engine(root).UpdateAsync(null, UpdateActions.All, CancellationToken.None);

        Assert.Equal((UpdateOutcome.Installed, "2"), (result.Outcome, result.Version));
        Assert.Equal("2", File.ReadAllText(Path.Combine(Target(root), "app_2.bin")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(root, "srv/extra-target/extra_2.bin")));
        Assert.False(File.Exists(Path.Combine(Target(root), ".sysupdate.pending.app_2.bin")));
        Assert.Contains("status: Making room for '2'.", _events);
    }

    [Fact]
    public async Task An_offline_install_of_a_partly_acquired_set_is_refused_before_anything_changes()
    {
        var root = AppTree.Make(_dir["root"], "1", ["1"], ["1", "2"]);
        AddSecondTransfer(root, installed: ["1"], available: ["1", "2"]);
        var pending = Path.Combine(Target(root), ".sysupdate.pending.app_2.bin");
        File.WriteAllText(pending, "2");

        var error = await Assert.ThrowsAsync<Foundation.Errors.UpdateException>(() => Engine(root, offline: true).UpdateAsync(null, UpdateActions.Install, CancellationToken.None));

        Assert.Equal("Selected update '2' is only partly acquired (transfer '20-extra' is missing); run 'acquire' or 'update' to complete it.", error.Message);
        Assert.True(File.Exists(pending));
        Assert.Empty(_events);
    }

    /// <summary>A second regular-file transfer, 20-extra, from srv/extra-source to srv/extra-target.</summary>
    private static void AddSecondTransfer(string root, string[] installed, string[] available)
    {
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/20-extra.transfer"), """
            [Source]
            Type=regular-file
            Path=/srv/extra-source
            MatchPattern=extra_@v.bin

            [Target]
            Type=regular-file
            Path=/srv/extra-target
            MatchPattern=extra_@v.bin
            """);
        Directory.CreateDirectory(Path.Combine(root, "srv/extra-source"));
        Directory.CreateDirectory(Path.Combine(root, "srv/extra-target"));
        foreach (var v in installed)
        {
            File.WriteAllText(Path.Combine(root, $"srv/extra-target/extra_{v}.bin"), v);
        }

        foreach (var v in available)
        {
            File.WriteAllText(Path.Combine(root, $"srv/extra-source/extra_{v}.bin"), v);
        }
    }

    // The staging constructor: each transfer reads its own [Source] directory under the root, and no
    // global lock is taken (it is /run's, not a test's).
    private UpdateEngine Engine(string root, bool reboot = false, bool offline = false) =>
        new(
            new EngineOptions { Root = root, Reboot = reboot, Offline = offline },
            NullLogger.Instance,
            new RecordingObserver(_events),
            transfer => new LocalSource(transfer.Source, Path.Join(root, transfer.Source.Path)),
            new EngineServices { Rebooter = new RecordingRebooter(_events), ShutdownInhibitor = new RecordingInhibitor(_events) });

    private sealed class RecordingRebooter(List<string> events) : IRebooter
    {
        public Task RebootAsync(CancellationToken cancellationToken)
        {
            events.Add("reboot");
            return Task.CompletedTask;
        }
    }

    private sealed class RecordingInhibitor(List<string> events) : IShutdownInhibitor
    {
        public Task<IDisposable> InhibitAsync(string why, CancellationToken cancellationToken)
        {
            events.Add("inhibit: " + why);
            return Task.FromResult<IDisposable>(new Release(events));
        }

        private sealed class Release(List<string> events) : IDisposable
        {
            public void Dispose() => events.Add("release");
        }
    }

    private sealed class RecordingObserver(List<string> events) : IUpdateObserver
    {
        public void OnStatus(string version, string status) => events.Add("status: " + status);

        public void OnProgress(string version, int index, int count, double fraction)
        {
        }
    }
}
