using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Update.Engine;

/// <summary>
/// A cancel (SIGINT, SIGTERM) is honoured before the install, never inside it: once the first
/// pending copy becomes final, every transfer is installed, even on a FAT ESP inside an image where
/// each step is an mtools command that a cancelled token would otherwise kill half-way.
/// </summary>
public sealed class EngineCancellationTests
{
    [Fact]
    public async Task A_cancel_that_arrives_during_the_install_lets_every_transfer_finish()
    {
        GptTools.Require("sfdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mdel", "mmd");
        using var s = new DiskImageScenario();
        s.NewVersion("1");
        using var cancel = new CancellationTokenSource();
        var engine = new UpdateEngine(
            new EngineOptions { Image = s.Disk, DefinitionsDirectory = s.Definitions },
            NullLogger.Instance,
            new CancelWhen(cancel, status: "Installing '1'."));

        var result = await engine.UpdateAsync(null, UpdateActions.All, cancel.Token);

        Assert.True(cancel.IsCancellationRequested);
        Assert.Equal(UpdateOutcome.Installed, result.Outcome);
        Assert.Contains("::/EFI/Linux/demo_1+3-0.efi", s.EspFiles());
        Assert.DoesNotContain(s.EspFiles(), f => f.Contains("sysupdate", StringComparison.Ordinal));
        Assert.Contains(GptTools.SfdiskJson(s.Disk).Partitions, p => p.Name == "demo_1");
    }

    /// <summary>Cancels the run's token when the engine reports <paramref name="status"/>.</summary>
    private sealed class CancelWhen(CancellationTokenSource cancel, string status) : IUpdateObserver
    {
        public void OnStatus(string version, string text)
        {
            if (text == status)
            {
                cancel.Cancel();
            }
        }

        public void OnProgress(string version, int index, int count, double fraction)
        {
        }
    }
}
