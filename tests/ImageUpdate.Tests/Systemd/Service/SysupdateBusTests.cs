using ImageUpdate.Systemd.Service;

namespace ImageUpdate.Tests.Systemd.Service;

public sealed class SysupdateBusTests
{
    [Theory]
    [InlineData("host", "host")]
    [InlineData("component:foo", "component_3afoo")]
    [InlineData("component:os-2", "component_3aos_2d2")]
    [InlineData("9lives", "_39lives")]
    [InlineData("", "_")]
    [InlineData("ä", "_c3_a4")]
    public void Target_ids_are_escaped_as_sd_bus_escapes_object_path_labels(string id, string label)
    {
        Assert.Equal(label, SysupdateBus.EscapeLabel(id));
        Assert.Equal("/org/freedesktop/sysupdate1/target/" + label, SysupdateBus.TargetPath(id));
    }

    [Fact]
    public void Job_paths_are_job_underscore_id()
    {
        Assert.Equal("/org/freedesktop/sysupdate1/job/_42", SysupdateBus.JobPath(42));
    }
}
