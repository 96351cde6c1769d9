using ImageUpdate.Systemd.BootCounting;
using ImageUpdate.Systemd.Health;
using ImageUpdate.Tests.Systemd.Health;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Tests.Systemd.BootCounting;

/// <summary>
/// `bless` and `rollback` in process: plain temporary directories for efivarfs and the ESP, checks
/// that answer what the test says, and a reboot that only records that it was asked for.
/// </summary>
public sealed class BootAssessmentTests : IDisposable
{
    private readonly FakeBoot _boot = new();
    private readonly RecordingLogger _log = new();
    private readonly List<string> _events = [];

    public void Dispose() => _boot.Dispose();

    private BootEntryLocation Location => new(_boot.EfiVars, _boot.Esp, _boot.Xbootldr);

    private BootAssessment Assessment(params bool[] healthy) => new(
        _log,
        new EngineServices { Rebooter = new CallbackRebooter(_ => { _events.Add("reboot"); return Task.CompletedTask; }) },
        (_, _) => healthy.Select((ok, i) => (IHealthCheck)new FixedCheck($"check{i}", ok)).ToList());

    private Task<BlessResult> BlessAsync(BootAssessment assessment, BlessAction action, bool reboot = false) =>
        assessment.BlessAsync(new BlessRequest(action, Location, HealthCheckOptions.Default, reboot), r => _events.Add("report " + BootAssessment.StateWord(r.Entry.State)), CancellationToken.None);

    [Fact]
    public async Task A_healthy_boot_is_marked_good_and_nothing_reboots()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        var result = await BlessAsync(Assessment(true, true), BlessAction.Assess, reboot: true);

        Assert.Equal(BootEntryState.Good, result.Entry.State);
        Assert.False(result.FoundUnhealthy);
        Assert.Equal(2, result.Health!.Results.Count);
        Assert.Equal(["report good"], _events);
        Assert.Equal(["os_1.efi", "os_2.efi"], _boot.UkiNames());
    }

    [Fact]
    public async Task One_failed_check_marks_the_boot_bad_reports_then_reboots_into_the_other_entry()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        var result = await BlessAsync(Assessment(true, false), BlessAction.Assess, reboot: true);

        Assert.True(result.FoundUnhealthy);
        Assert.Equal(BootEntryState.Bad, result.Entry.State);
        Assert.Equal(["report bad", "reboot"], _events);
        Assert.Contains("This boot was marked bad; rebooting into another entry.", _log.Lines);
        Assert.Equal(["os_1.efi", "os_2+0-1.efi"], _boot.UkiNames());
    }

    [Fact]
    public async Task An_unhealthy_boot_is_not_rebooted_without_reboot()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        var result = await BlessAsync(Assessment(false), BlessAction.Assess);

        Assert.True(result.FoundUnhealthy);
        Assert.Equal(["report bad"], _events);
    }

    [Fact]
    public async Task An_unhealthy_boot_on_its_last_try_with_nothing_else_to_boot_is_not_rebooted_into_a_loop()
    {
        _boot.Ukis("os_2+0-2.efi").BootedUki("os_2+0-2.efi");

        var result = await BlessAsync(Assessment(false), BlessAction.Assess, reboot: true);

        Assert.True(result.FoundUnhealthy);
        Assert.Equal(["report dirty"], _events);
        Assert.Contains(_log.Lines, l => l.StartsWith("Not rebooting: no other entry in ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_boot_with_its_verdict_already_runs_no_checks()
    {
        _boot.Ukis("os_1.efi", "os_2.efi").BootedUki("os_2+2-1.efi");
        var discovered = false;
        var assessment = new BootAssessment(_log, new EngineServices { Rebooter = new CallbackRebooter(_ => throw new InvalidOperationException("no reboot expected")) }, (_, _) => { discovered = true; return []; });

        var result = await BlessAsync(assessment, BlessAction.Assess, reboot: true);

        Assert.False(discovered);
        Assert.Null(result.Health);
        Assert.Equal(BootEntryState.Good, result.Entry.State);
        Assert.Contains(_log.Lines, l => l.EndsWith("is good already: nothing to assess.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(BlessAction.Good, "os_2.efi", BootEntryState.Good)]
    [InlineData(BlessAction.Bad, "os_2+0-1.efi", BootEntryState.Bad)]
    [InlineData(BlessAction.Indeterminate, "os_2+2-1.efi", BootEntryState.Indeterminate)]
    [InlineData(BlessAction.Status, "os_2+2-1.efi", BootEntryState.Indeterminate)]
    public async Task A_given_verdict_runs_no_checks_and_never_reboots(BlessAction action, string name, BootEntryState state)
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        var result = await BlessAsync(Assessment(false), action, reboot: true);

        Assert.Null(result.Health);
        Assert.Equal(state, result.Entry.State);
        Assert.Equal(["report " + BootAssessment.StateWord(state)], _events);
        Assert.Equal(["os_1.efi", name], _boot.UkiNames());
    }

    [Fact]
    public async Task Rollback_marks_the_booted_entry_bad_reports_then_reboots()
    {
        var root = MakeRoot("3", "os_1.efi", "os_2+0-2.efi", "os_3.efi");
        _boot.Selected("os_3.efi");
        var options = new EngineOptions { Root = root, Offline = true, Reboot = true };
        RollbackResult? reported = null;

        var result = await Assessment().RollbackAsync(
            new RollbackRequest(options, new BootEntryLocation(_boot.EfiVars, Path.Combine(root, "efi"))),
            r => { reported = r; _events.Add("report"); },
            CancellationToken.None);

        Assert.Same(result, reported);
        Assert.Equal(("3", "1"), (result.BootedVersion, result.TargetVersion));
        Assert.Equal(BootEntryState.Bad, result.Entry.State);
        Assert.Equal(["report", "reboot"], _events);
        Assert.Equal(["os_1.efi", "os_2+0-2.efi", "os_3+0.efi"], Directory.EnumerateFiles(Path.Combine(root, "efi/EFI/Linux")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Rollback_without_a_good_older_version_refuses_before_marking_or_rebooting()
    {
        var root = MakeRoot("2", "os_1+0-3.efi", "os_2.efi");
        _boot.Selected("os_2.efi");

        var e = await Assert.ThrowsAsync<BootCountingException>(() => Assessment().RollbackAsync(
            new RollbackRequest(new EngineOptions { Root = root, Offline = true, Reboot = true }, new BootEntryLocation(_boot.EfiVars, Path.Combine(root, "efi"))),
            _ => _events.Add("report"),
            CancellationToken.None));

        Assert.Equal("Refusing to roll back from '2': no older installed version is known good (complete, not marked bad, and blessed in a boot).", e.Message);
        Assert.Empty(_events);
        Assert.True(File.Exists(Path.Combine(root, "efi/EFI/Linux/os_2.efi")));
    }

    /// <summary>An OS tree booted as <paramref name="booted"/> whose one transfer puts UKIs (with counters) on ROOT/efi.</summary>
    private string MakeRoot(string booted, params string[] ukis)
    {
        var root = Path.Combine(_boot.Root, "root");
        Directory.CreateDirectory(Path.Combine(root, "usr/lib/sysupdate.d"));
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "srv/source"));
        Directory.CreateDirectory(Path.Combine(root, "efi/EFI/Linux"));
        File.WriteAllText(Path.Combine(root, "etc/os-release"), $"ID=demo\nIMAGE_ID=demo\nIMAGE_VERSION={booted}\n");
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/20-uki.transfer"), """
            [Source]
            Type=regular-file
            Path=/srv/source
            MatchPattern=os_@v.efi

            [Target]
            Type=regular-file
            Path=/EFI/Linux
            PathRelativeTo=esp
            MatchPattern=os_@v+@l-@d.efi os_@v+@l.efi os_@v.efi
            TriesLeft=3
            """);
        foreach (var uki in ukis)
        {
            File.WriteAllText(Path.Combine(root, "efi/EFI/Linux", uki), uki);
        }

        return root;
    }

    private sealed class FixedCheck(string name, bool healthy) : IHealthCheck
    {
        public string Name => name;

        public Task<HealthCheckResult> RunAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new HealthCheckResult(name, healthy, healthy ? "ok" : "failed"));
    }

    private sealed class CallbackRebooter(Func<CancellationToken, Task> reboot) : IRebooter
    {
        public Task RebootAsync(CancellationToken cancellationToken) => reboot(cancellationToken);
    }
}
