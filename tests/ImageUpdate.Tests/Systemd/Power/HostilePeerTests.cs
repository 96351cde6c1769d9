using ImageUpdate.Systemd.Health;
using ImageUpdate.Systemd.Power;
using ImageUpdate.Tests.Platform.DBus;
using ImageUpdate.Tests.Systemd.Health;

namespace ImageUpdate.Tests.Systemd.Power;

/// <summary>
/// A logind and a systemd manager on the bus that answer with wrong types, hang up mid-call, or never
/// answer: each ends in one clear line (the inhibitor's debug line, the health check's detail) within
/// the timeout, never a hang and never an untyped exception.
/// </summary>
public sealed class HostilePeerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData("wrong-types", "logind answered Inhibit with signature 's', not 'h'.")]
    [InlineData("hang-up", "D-Bus error org.freedesktop.DBus.Error.NoReply: ")]
    [InlineData("silent", "No reply to org.freedesktop.login1.Manager.Inhibit on org.freedesktop.login1 within 2 s.")]
    public async Task A_hostile_logind_leaves_the_update_without_an_inhibitor_and_says_why_in_one_line(string behaviour, string reason)
    {
        DBusTestTools.RequirePython();

        using var fake = await FakeSystemServices.StartHostileAsync(behaviour);
        var logger = new RecordingLogger();

        using var held = await new LogindShutdownInhibitor(logger, fake.Bus.Address) { Timeout = Timeout }
            .InhibitAsync("Writing an update", CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(held);
        Assert.Equal([behaviour], fake.Record("inhibit"));
        var line = Assert.Single(logger.Lines);
        Assert.StartsWith($"No shutdown inhibitor from logind at '{fake.Bus.Address}' ({reason}", line, StringComparison.Ordinal);
        Assert.EndsWith("); writing without one.", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Theory]
    [InlineData("wrong-types", "systemd answered ListUnitsFiltered with signature 'as', not 'a(ssssssouso)'.")]
    [InlineData("hang-up", "D-Bus error org.freedesktop.DBus.Error.NoReply: ")]
    [InlineData("silent", "No reply to org.freedesktop.systemd1.Manager.ListUnitsFiltered on org.freedesktop.systemd1 within 2 s.")]
    public async Task A_hostile_systemd_manager_fails_the_health_check_in_one_line(string behaviour, string reason)
    {
        DBusTestTools.RequirePython();

        using var fake = await FakeSystemServices.StartHostileAsync(behaviour);

        var result = await new FailedUnitsHealthCheck(fake.Bus.Address, () => true) { Timeout = Timeout }
            .RunAsync(CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(result.Healthy);
        Assert.Equal([behaviour], fake.Record("list-units"));
        Assert.StartsWith($"systemd is running but its manager cannot be asked over D-Bus at '{fake.Bus.Address}': {reason}", result.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', result.Detail);
    }
}
