using ImageUpdate.Tests.Support;
using ImageUpdate.Tests.Update.Imaging;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Tests.Update.Engine;

/// <summary>
/// ProtectVersion=%A on a host whose os-release has no IMAGE_VERSION= (an image build, a container)
/// protects nothing. That matters only where something is deleted, so the engine says it once per
/// run, on the verbs that vacuum, however many transfers carry it; list and check-new stay quiet.
/// </summary>
public sealed class UnresolvedProtectionTests : IDisposable
{
    private const string Warning = "ProtectVersion=%A expands to nothing here (no IMAGE_VERSION= in os-release): no version is protected from removal.";

    private readonly TempDirectory _dir = new();
    private readonly ListLogger _logger = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Update_says_it_once_for_two_transfers()
    {
        var root = Root();

        var result = await Engine(root).UpdateAsync(null, UpdateActions.All, CancellationToken.None);

        Assert.Equal(UpdateOutcome.Installed, result.Outcome);
        Assert.Equal([Warning], _logger.Messages);
    }

    [Fact]
    public async Task Vacuum_says_it_once()
    {
        var root = Root();

        await Engine(root).VacuumAsync(CancellationToken.None);

        Assert.Equal([Warning], _logger.Messages);
    }

    [Fact]
    public async Task Verbs_that_delete_nothing_stay_quiet()
    {
        var root = Root();
        var engine = Engine(root);

        await engine.ListAsync(CancellationToken.None);
        await engine.CheckNewAsync(CancellationToken.None);
        await engine.DescribeAsync("1", CancellationToken.None);

        Assert.Empty(_logger.Messages);
    }

    /// <summary>Two transfers with ProtectVersion=%A, version 1 installed, 2 available, no IMAGE_VERSION=.</summary>
    private string Root()
    {
        var root = AppTree.Make(_dir["root"], "1", ["1"], ["1", "2"], protectBooted: true);
        File.WriteAllText(Path.Combine(root, "etc/os-release"), "ID=demo\n");
        File.WriteAllText(
            Path.Combine(root, "usr/lib/sysupdate.d/20-other.transfer"),
            File.ReadAllText(Path.Combine(root, "usr/lib/sysupdate.d/10-app.transfer")).Replace("app_@v.bin", "other_@v.bin", StringComparison.Ordinal));
        foreach (var name in new[] { "srv/source/other_1.bin", "srv/source/other_2.bin", "srv/target/other_1.bin" })
        {
            File.WriteAllText(Path.Combine(root, name), name);
        }

        return root;
    }

    // The staging constructor: sources read from their directory, and no global lock (it is /run's, not a test's).
    private UpdateEngine Engine(string root) =>
        new(new EngineOptions { Root = root }, _logger, null, transfer => new LocalSource(transfer.Source, Path.Join(root, transfer.Source.Path)));
}
