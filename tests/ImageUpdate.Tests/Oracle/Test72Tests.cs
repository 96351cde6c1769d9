using System.Diagnostics;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Oracle;

/// <summary>
/// systemd's own TEST-72-SYSUPDATE.sh of 262, whole, as its systemd-tests package ships it in the 262
/// oracle chroot (never copied into this repository): first with the real systemd-sysupdate 262,
/// which proves the harness (tests/oracle/run-test72: a throwaway overlay of the chroot, a private
/// system bus, the Varlink socket and a stand-in systemctl), then with image-update's self-contained
/// build (artifacts/guest/image-update, from <c>make guest</c>) installed as
/// /usr/lib/systemd/systemd-sysupdate. The script's whole output is kept in artifacts/test72-*.log.
/// </summary>
/// <remarks>
/// Both tests run in this one class, so one after the other (each takes minutes and loop devices).
/// The harness stops the script after <see cref="ScriptTimeout"/>; the process timeout here is a
/// little longer so the harness's own teardown (processes, loop devices, mounts) always runs.
/// </remarks>
public sealed class Test72Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(25);

    private const string ScriptInChroot = "usr/lib/systemd/tests/testdata/units/TEST-72-SYSUPDATE.sh";

    [Fact]
    public async Task The_real_systemd_sysupdate_262_passes_TEST_72_whole() => await RunWholeAsync("real", "test72-real.log");

    [Fact]
    public async Task Image_update_passes_TEST_72_whole()
    {
        var guest = Path.Combine(RepositoryRoot(), "artifacts", "guest", "image-update");
        TestEnvironment.RequireFile(guest, "the self-contained build: make guest (make test builds it)");
        await RunWholeAsync(guest, "test72-image-update.log");
    }

    private async Task RunWholeAsync(string program, string logName)
    {
        TestEnvironment.RequireRoot("TEST-72 (namespaces, chroot, loop devices)");
        TestEnvironment.Require(File.Exists("/dev/loop-control"), "No /dev/loop-control: TEST-72 needs loop devices for both sector sizes");
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }
        TestEnvironment.RequireFile(Path.Combine(oracle.Root, ScriptInChroot), "systemd-tests 262 in the oracle chroot: tests/oracle/ensure-sysupdate-chroot 262");

        var root = RepositoryRoot();
        var log = Path.Combine(root, "artifacts", logName);
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["IMAGE_UPDATE_TEST72_TIMEOUT"] = ((int)ScriptTimeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["IMAGE_UPDATE_TEST72_SCRIPT"] = null,
            [SysupdateOracle.RootVariable] = oracle.Root,
        };
        var clock = Stopwatch.StartNew();
        var result = await TestProcess.RunAsync(
            Path.Combine(root, "tests", "oracle", "run-test72"), [program, log], environment, timeout: ScriptTimeout + TimeSpan.FromMinutes(2));
        output.WriteLine($"run-test72 {program}: exit {result.ExitCode} after {clock.Elapsed.TotalSeconds:F0} s; the script's output is in {log}");
        output.WriteLine(result.Stderr);
        Assert.True(result.ExitCode == 0, $"TEST-72-SYSUPDATE.sh of 262 failed with {program} (exit {result.ExitCode}; {log}):\n{result.Stderr}");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImageUpdate.sln")))
            {
                return dir.FullName;
            }
        }
        throw new FileNotFoundException($"ImageUpdate.sln not found above {AppContext.BaseDirectory}");
    }
}
