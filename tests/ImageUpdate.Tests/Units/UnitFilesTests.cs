using ImageUpdate.Tests.Formats.Gpt;

namespace ImageUpdate.Tests.Units;

/// <summary>
/// The shipped units (units/): systemd-analyze verify accepts them, and the bless unit runs only once
/// the boot has done its work (default.target) and the bus its unit check asks is there.
/// </summary>
public sealed class UnitFilesTests : IDisposable
{
    private readonly Support.TempDirectory _dir = new("units");

    public void Dispose() => _dir.Dispose();

    private static string UnitsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImageUpdate.sln")))
            {
                return Path.Combine(dir.FullName, "units");
            }
        }

        throw new DirectoryNotFoundException("units/ not found above the tests");
    }

    /// <summary>The units as `make install` writes them, pointing at a program that exists here.</summary>
    private IReadOnlyList<string> Installed()
    {
        var files = new List<string>();
        foreach (var source in Directory.GetFiles(UnitsDirectory()))
        {
            var name = Path.GetFileName(source);
            var target = _dir[name.EndsWith(".in", StringComparison.Ordinal) ? name[..^3] : name];
            File.WriteAllText(target, File.ReadAllText(source).Replace("@bindir@/image-update", "/bin/true", StringComparison.Ordinal).Replace("@bindir@", "/bin", StringComparison.Ordinal));
            files.Add(target);
        }

        return files;
    }

    [Fact]
    public void Systemd_accepts_every_unit()
    {
        GptTools.Require("systemd-analyze");

        var units = Installed();
        Assert.Contains(units, u => u.EndsWith("image-update-bless.service", StringComparison.Ordinal));
        var (exitCode, stdout, stderr) = GptTools.RunRaw("systemd-analyze", ["verify", "--man=no", .. units]);
        Assert.True(exitCode == 0 && stdout.Length + stderr.Length == 0, $"systemd-analyze verify: {stdout}{stderr}");
    }

    [Fact]
    public void Bless_runs_after_the_boot_is_complete_and_the_bus_is_up()
    {
        var unit = File.ReadAllLines(Path.Combine(UnitsDirectory(), "image-update-bless.service.in"));
        var after = unit.Where(l => l.StartsWith("After=", StringComparison.Ordinal)).SelectMany(l => l["After=".Length..].Split(' ')).ToHashSet();
        Assert.Superset(new HashSet<string> { "boot-complete.target", "default.target", "dbus.socket" }, after);
        Assert.Contains("Requires=boot-complete.target", unit);
        Assert.Contains(unit, l => l.StartsWith("ExecStart=", StringComparison.Ordinal) && l.EndsWith("image-update bless --reboot", StringComparison.Ordinal));
    }

    [Fact]
    public void The_Varlink_socket_listens_and_hands_over_connections_as_systemd_sysupdate_socket_of_262_does()
    {
        static string[] Keys(IEnumerable<string> lines) =>
            [.. lines.Where(l => l.StartsWith("ListenStream=", StringComparison.Ordinal) || l.StartsWith("Accept=", StringComparison.Ordinal)
                || l.StartsWith("FileDescriptorName=", StringComparison.Ordinal) || l.StartsWith("SocketMode=", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

        var ours = Keys(File.ReadAllLines(Path.Combine(UnitsDirectory(), "image-update-varlink.socket")));
        Assert.Equal(["Accept=yes", "FileDescriptorName=varlink", "ListenStream=/run/systemd/io.systemd.SysUpdate", "SocketMode=0666"], ours);

        // An Accept=yes socket starts the template of the same name, which runs the program with no verb.
        var service = File.ReadAllLines(Path.Combine(UnitsDirectory(), "image-update-varlink@.service.in"));
        Assert.Contains("ExecStart=-@bindir@/image-update", service);

        var theirs = "/var/cache/image-update/sysupdate-262/usr/lib/systemd/system/systemd-sysupdate.socket";
        if (File.Exists(theirs))
        {
            Assert.Equal(Keys(File.ReadAllLines(theirs)), ours);
        }
    }
}
