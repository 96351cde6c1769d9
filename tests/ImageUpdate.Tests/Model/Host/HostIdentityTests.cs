using System.Runtime.InteropServices;
using ImageUpdate.Model.Host;

namespace ImageUpdate.Tests.Model.Host;

public sealed class HostIdentityTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "iu-host-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData("x86_64", "x86-64")]
    [InlineData("i686", "x86")]
    [InlineData("aarch64", "arm64")]
    [InlineData("armv7l", "arm")]
    [InlineData("ppc64le", "ppc64-le")]
    [InlineData("riscv64", "riscv64")]
    [InlineData("loongarch64", "loongarch64")]
    [InlineData("s390x", "s390x")]
    public void Kernel_machine_names_map_to_systemd_architecture_names(string machine, string expected) =>
        Assert.Equal(expected, HostIdentity.ArchitectureName(machine, Architecture.X64));

    [Fact]
    public void Without_a_kernel_name_the_process_architecture_is_used() =>
        Assert.Equal("arm64", HostIdentity.ArchitectureName(null, Architecture.Arm64));

    [Fact]
    public void The_short_hostname_stops_at_the_first_dot() =>
        Assert.Equal("box", new HostIdentity("x86-64", null, "box.example.org", null, null, "/tmp", "/var/tmp").ShortHostname);

    [Theory]
    [InlineData("0123456789ABCDEF0123456789abcdef\n", "0123456789abcdef0123456789abcdef")]
    [InlineData("0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef")]
    [InlineData("uninitialized\n", null)]
    [InlineData("00000000000000000000000000000000\n", null)]
    [InlineData("0123456789abcdef0123456789abcde\n", null)]
    [InlineData("", null)]
    public void The_machine_id_must_be_32_hex_digits(string content, string? expected)
    {
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        File.WriteAllText(Path.Combine(_root, "etc/machine-id"), content);
        Assert.Equal(expected, HostIdentity.ReadMachineId(_root));
    }

    [Fact]
    public void A_missing_machine_id_reads_as_null()
    {
        Directory.CreateDirectory(_root);
        Assert.Null(HostIdentity.ReadMachineId(_root));
    }

    [Fact]
    public void The_running_kernel_is_read_from_proc_as_uname_reports_it()
    {
        var host = HostIdentity.Detect(_root);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), host.KernelRelease);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/hostname").Trim(), host.Hostname);
        Assert.Matches("^[0-9a-f]{32}$", host.BootId);
        Assert.Equal(HostIdentity.ArchitectureName(File.ReadAllText("/proc/sys/kernel/arch").Trim(), RuntimeInformation.OSArchitecture), host.Architecture);
    }
}
