using System.Runtime.InteropServices;
using ImageUpdate.Host;

namespace ImageUpdate.Tests.Host;

public sealed class OsReleaseTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "iu-osr-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData("ID=debian", "ID", "debian")]
    [InlineData("ID=\"debian\"", "ID", "debian")]
    [InlineData("ID='de bian'", "ID", "de bian")]
    [InlineData("NAME=\"a \\\"b\\\" \\$c \\\\d \\e\"", "NAME", "a \"b\" $c \\d \\e")]
    [InlineData("NAME=a\\ b", "NAME", "a b")]
    [InlineData("NAME=a b   ", "NAME", "a b")]
    [InlineData("  ID = x", "ID", "x")]
    [InlineData("ID=x\nID=y", "ID", "y")]
    [InlineData("# ID=no\nID=yes", "ID", "yes")]
    [InlineData("ID=\"multi\\\nline\"", "ID", "multiline")]
    [InlineData("ID='a'\"b\"c", "ID", "abc")]
    [InlineData("ID=", "ID", "")]
    public void Values_are_parsed_with_shell_quoting(string text, string key, string expected) =>
        Assert.Equal(expected, OsRelease.Parse(text)[key]);

    [Fact]
    public void A_line_without_equals_sign_is_skipped()
    {
        var release = OsRelease.Parse("garbage\nID=ok\n");
        Assert.Equal("ok", release["ID"]);
        Assert.Null(release["garbage"]);
    }

    [Fact]
    public void Etc_wins_over_usr_lib_and_usr_lib_is_the_fallback()
    {
        Directory.CreateDirectory(Path.Combine(_root, "usr/lib"));
        File.WriteAllText(Path.Combine(_root, "usr/lib/os-release"), "ID=usr\n");
        Assert.Equal("usr", OsRelease.Read(_root)!["ID"]);

        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        File.WriteAllText(Path.Combine(_root, "etc/os-release"), "ID=etc\n");
        Assert.Equal("etc", OsRelease.Read(_root)!["ID"]);
    }

    [Fact]
    public void A_root_without_os_release_reads_as_null()
    {
        Directory.CreateDirectory(_root);
        Assert.Null(OsRelease.Read(_root));
    }
}

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
}
