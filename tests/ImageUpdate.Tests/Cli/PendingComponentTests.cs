using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// pending and reboot compare the newest installed version with the booted OS's IMAGE_VERSION=,
/// which says nothing about a component: with --component= both are refused, in systemd-sysupdate
/// 262's words (TEST-72-SYSUPDATE.sh, the regression test of systemd issue 42330), before anything is read.
/// </summary>
public sealed class PendingComponentTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("pending")]
    [InlineData("reboot")]
    public async Task A_component_is_refused_by_pending_and_reboot_as_262_refuses_it(string verb)
    {
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }
        using var work = new TempDirectory("image-update-pending-");
        var expected = $"The --component=, --component-all and --component-suggested switches may not be combined with the '{verb}' operation, which only applies to the booted OS version.";

        var real = await oracle.RunAsync(work.Path, null, "--component=some-component", verb);
        output.WriteLine(real.ToString());
        Assert.NotEqual(0, real.ExitCode);
        Assert.Contains(expected, real.Stderr, StringComparison.Ordinal);

        var ours = await ImageUpdateProcess.RunAsync(null, "--component=some-component", verb);
        output.WriteLine(ours.ToString());
        Assert.NotEqual(0, ours.ExitCode);
        Assert.Contains(expected, ours.Stderr, StringComparison.Ordinal);
        Assert.Equal("", ours.Stdout);
    }
}
