using ImageUpdate.Platform.DBus;
using ImageUpdate.Systemd.Service;
using ImageUpdate.Tests.Platform.DBus;
using ImageUpdate.Update.Engine;

namespace ImageUpdate.Tests.Systemd.Service;

public sealed class SysupdateJobTests
{
    [Fact]
    public async Task Cancel_on_a_job_that_ended_while_the_call_was_on_its_way_is_UnknownObject()
    {
        DBusTestTools.RequireDaemon();

        using var bus = new PrivateBus();
        await using var server = await BusConnection.ConnectAsync(bus.Address);
        var target = new SysupdateTarget(TargetClass.Host, "host", "sysupdate.d", new EngineOptions());
        var job = new SysupdateJob(server, 7, JobType.Update, offline: false, target, CancellationToken.None);
        server.Export(job.CreateObject((_, _) => Task.CompletedTask));

        // The race: the call is routed to the job's object, and the job ends before the handler cancels it.
        job.Dispose();
        Assert.False(job.TryCancel());
        await using var client = await BusConnection.ConnectAsync(bus.Address);
        var error = await Assert.ThrowsAsync<DBusErrorException>(() => client.CallAsync(new DBusCall(server.UniqueName!, job.Path, SysupdateBus.JobInterface, "Cancel")));

        Assert.Equal("org.freedesktop.DBus.Error.UnknownObject", error.ErrorName);
        Assert.Equal("No object at /org/freedesktop/sysupdate1/job/_7.", error.ErrorMessage);
    }
}
