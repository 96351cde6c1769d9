using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Platform.DBus;
using ImageUpdate.Tests.Support;
using ImageUpdate.Tests.Systemd.BootCounting;
using ImageUpdate.Tests.Systemd.Power;
using TempDirectory = ImageUpdate.Tests.Support.TempDirectory;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// The real program against fake logind and systemd services on a private system bus: `reboot`
/// reaches logind's Reboot, `update` of partitions holds a shutdown inhibitor while it writes, and
/// `bless` counts failed units.
/// </summary>
public sealed class LogindCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Reboot_with_a_newer_version_installed_asks_logind()
    {
        DBusTestTools.RequirePython();

        using var fake = await FakeSystemServices.StartAsync();
        var root = MakeRoot("1", "1", "2");

        var result = await ImageUpdateProcess.RunAsync(fake.Environment, "--root", root, "reboot");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["interactive=False"], fake.Record("reboot"));
        Assert.Empty(fake.Record("systemctl"));
    }

    [Fact]
    public async Task Reboot_without_logind_on_the_bus_falls_back_to_systemctl_with_a_warning()
    {
        DBusTestTools.RequireDaemon();

        using var fake = FakeSystemServices.StartBusOnly();
        var root = MakeRoot("1", "1", "2");

        var result = await ImageUpdateProcess.RunAsync(fake.Environment, "--root", root, "reboot");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["reboot"], fake.Record("systemctl"));
        Assert.Contains("Cannot ask logind to reboot", result.Stderr);
        Assert.Contains("trying 'systemctl reboot'", result.Stderr);
    }

    [Fact]
    public async Task Update_of_partitions_holds_a_logind_inhibitor_while_writing_and_releases_it_before_exiting()
    {
        DBusTestTools.RequirePython();
        GptTools.Require("sfdisk", "sgdisk");

        using var fake = await FakeSystemServices.StartAsync();
        using var s = new PartitionScenario(512);

        // Each partition write pauses, so the program is caught mid-update with a slot written.
        s.NewVersion("v1");
        var environment = fake.Environment;
        environment["IMAGE_UPDATE_TEST_PAUSE_AT"] = "after-partition-write:2500";
        var first = s.RunAsync(environment, "update");
        Assert.True(await fake.WaitForRecordAsync("inhibit", TimeSpan.FromSeconds(60)), "no Inhibit call came");
        await WaitUntilAsync(() => s.Table().Partitions.Any(p => p.Name != "_empty"), first);
        Assert.False(first.IsCompleted);
        Assert.Equal(["shutdown:sleep|image-update|Writing an update|block"], fake.Record("inhibit"));
        Assert.Empty(fake.Record("released"));
        var done = await first;
        Assert.True(done.ExitCode == 0, done.ToString());
        Assert.True(await fake.WaitForRecordAsync("released", TimeSpan.FromSeconds(10)), "the inhibitor fd was never closed");
        s.AssertSlots("v1", 1, 3);

        // The release comes once the writes are synced, while the program is still running.
        s.NewVersion("v2");
        environment["IMAGE_UPDATE_TEST_PAUSE_AT"] = "after-inhibitor-release:4000";
        var second = s.RunAsync(environment, "update");
        await WaitUntilAsync(() => fake.Record("released").Length == 2, second);
        Assert.False(second.IsCompleted);
        Assert.Equal(2, fake.Record("inhibit").Length);
        var secondDone = await second;
        Assert.True(secondDone.ExitCode == 0, secondDone.ToString());
        s.AssertSlots("v2", 2, 4);
    }

    [Theory]
    [InlineData("wrong-types", "logind answered Inhibit with signature 's', not 'h'.")]
    [InlineData("hang-up", "D-Bus error org.freedesktop.DBus.Error.NoReply: ")]
    [InlineData("silent", "No reply to org.freedesktop.login1.Manager.Inhibit on org.freedesktop.login1 within 10 s.")]
    public async Task Update_with_a_hostile_logind_writes_anyway_and_says_why_in_one_line(string behaviour, string reason)
    {
        DBusTestTools.RequirePython();

        using var fake = await FakeSystemServices.StartHostileAsync(behaviour);
        var root = MakeRoot("1", "1");
        File.WriteAllText(Path.Combine(root, "srv/source/app_2.bin"), "2");

        var result = await ImageUpdateProcess.RunAsync(fake.Environment, "--root", root, "--verbose", "update");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("2", File.ReadAllText(Path.Combine(root, "srv/target/app_2.bin")));
        Assert.Equal([behaviour], fake.Record("inhibit"));
        var line = Assert.Single(result.Stderr.Split('\n'), l => l.Contains("No shutdown inhibitor from logind", StringComparison.Ordinal));
        Assert.Contains($"({reason}", line, StringComparison.Ordinal);
        Assert.EndsWith("); writing without one.", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_without_logind_writes_anyway()
    {
        DBusTestTools.RequireDaemon();

        using var fake = FakeSystemServices.StartBusOnly();
        var root = MakeRoot("1", "1");
        File.WriteAllText(Path.Combine(root, "srv/source/app_2.bin"), "2");

        var result = await ImageUpdateProcess.RunAsync(fake.Environment, "--root", root, "--verbose", "update");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("2", File.ReadAllText(Path.Combine(root, "srv/target/app_2.bin")));
        Assert.Contains("No shutdown inhibitor from logind", result.Stderr);
    }

    [Fact]
    public async Task A_failed_unit_makes_bless_mark_the_entry_bad_and_none_marks_it_good()
    {
        DBusTestTools.RequirePython();

        using var boot = new FakeBoot();
        var noChecks = Directory.CreateDirectory(_dir["health.d"]).FullName;
        string[] Bless(params string[] extra) => ["bless", .. extra, "--health-dir", noChecks, "--efivars", boot.EfiVars, "--esp-path", boot.Esp];

        using (var failing = await FakeSystemServices.StartAsync("broken.service"))
        {
            boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");
            var bad = await ImageUpdateProcess.RunAsync(failing.Environment, Bless());

            Assert.True(bad.ExitCode == 1, bad.ToString());
            Assert.Equal("bad\n", bad.Stdout);
            Assert.Contains("Health check 'failed-units' failed: 1 failed unit: broken.service.", bad.Stderr);
            Assert.Equal(["os_1.efi", "os_2+0-1.efi"], boot.UkiNames());
        }

        using var healthy = await FakeSystemServices.StartAsync();
        File.Delete(boot.Uki("os_2+0-1.efi"));
        boot.Ukis("os_2+2-1.efi").BootedUki("os_2+2-1.efi");
        var good = await ImageUpdateProcess.RunAsync(healthy.Environment, Bless());

        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Equal("good\n", good.Stdout);
        Assert.Equal(["os_1.efi", "os_2.efi"], boot.UkiNames());
        Assert.Equal(["failed"], healthy.Record("list-units"));
    }

    [Fact]
    public async Task No_unit_check_ignores_failed_units_and_an_unreachable_manager_fails_bless()
    {
        DBusTestTools.RequirePython();

        using var boot = new FakeBoot();
        var noChecks = Directory.CreateDirectory(_dir["health.d"]).FullName;
        using var failing = await FakeSystemServices.StartAsync("broken.service");
        boot.Ukis("os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        var ignored = await ImageUpdateProcess.RunAsync(failing.Environment, "bless", "--no-unit-check", "--health-dir", noChecks, "--efivars", boot.EfiVars, "--esp-path", boot.Esp);

        Assert.True(ignored.ExitCode == 0, ignored.ToString());
        Assert.Empty(failing.Record("list-units"));

        boot.Ukis("os_3+2-1.efi").BootedUki("os_3+2-1.efi");
        var environment = failing.Environment;
        environment["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=" + _dir["no-bus"];
        var unreachable = await ImageUpdateProcess.RunAsync(environment, "bless", "--health-dir", noChecks, "--efivars", boot.EfiVars, "--esp-path", boot.Esp);

        Assert.True(unreachable.ExitCode == 1, unreachable.ToString());
        Assert.Contains("systemd is running but its manager cannot be asked over D-Bus", unreachable.Stderr);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Task running)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            if (running.IsCompleted || DateTime.UtcNow > deadline)
            {
                Assert.Fail(running.IsCompleted ? $"The program finished first: {await (Task<RunResult>)running}" : "Timed out.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>An OS tree with IMAGE_VERSION and a regular-file transfer, the given versions installed.</summary>
    private string MakeRoot(string imageVersion, params string[] installed) => AppTree.Make(_dir["root"], imageVersion, installed);
}
