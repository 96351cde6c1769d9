using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Update.Engine;

/// <summary>
/// The engine's shutdown-inhibitor seam, in process with a recording inhibitor: taken before the
/// first write, released after the install, once; none when there is nothing to write. It comes in
/// through the services record (<see cref="EngineServices.ShutdownInhibitor"/>).
/// </summary>
public sealed class EngineInhibitorTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<string> _events = [];

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Update_holds_the_inhibitor_from_making_room_until_installed()
    {
        var options = Root("1", "1", "2");

        var result = await Engine(options).UpdateAsync(null, UpdateActions.All, CancellationToken.None);

        Assert.Equal(UpdateOutcome.Installed, result.Outcome);
        Assert.Equal(
            ["inhibit: Writing an update", "status: Making room for '2'.", "status: Updating to '2'.", "status: Installing '2'.", "status: Installed '2'.", "release"],
            _events.Where(e => !e.StartsWith("progress", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Acquire_and_a_later_offline_install_each_hold_it_for_their_own_writes()
    {
        var options = Root("1", "1", "2");

        await Engine(options).UpdateAsync(null, UpdateActions.Acquire, CancellationToken.None);
        Assert.Equal("inhibit: Writing an update", _events[0]);
        Assert.Equal("release", _events[^1]);
        _events.Clear();

        await Engine(options).UpdateAsync(null, UpdateActions.Install, CancellationToken.None);
        Assert.Equal(["inhibit: Writing an update", "status: Installing '2'.", "status: Installed '2'.", "release"], _events);
    }

    [Fact]
    public async Task Nothing_to_write_takes_no_inhibitor()
    {
        var options = Root("1", "1");

        var result = await Engine(options).UpdateAsync(null, UpdateActions.All, CancellationToken.None);

        Assert.Equal(UpdateOutcome.NothingToDo, result.Outcome);
        Assert.Empty(_events);
    }

    // The staging constructor: sources read from a directory, and no global lock (it is /run's, not a test's).
    private UpdateEngine Engine(EngineOptions options) =>
        new(options, NullLogger.Instance, new RecordingObserver(_events),
            transfer => new LocalSource(transfer.Source, Path.Combine(options.Root, "srv/source")),
            new EngineServices { ShutdownInhibitor = new RecordingInhibitor(_events) });

    /// <summary>An OS tree with one regular-file transfer; <paramref name="available"/> in the source, <paramref name="installed"/> installed.</summary>
    private EngineOptions Root(string installed, params string[] available) =>
        new() { Root = AppTree.Make(_dir["root"], installed, [installed], available) };

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

        public void OnProgress(string version, int index, int count, double fraction) => events.Add("progress");
    }
}
