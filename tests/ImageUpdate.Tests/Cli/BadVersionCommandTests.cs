using System.Text.Json;
using ImageUpdate.Tests.Support;
using ImageUpdate.Tests.Systemd.BootCounting;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// Versions after a rollback, through the program: an OS tree under --root whose UKIs carry boot
/// counters in ROOT/efi/EFI/Linux, a root file system per version, and efivars for `rollback`.
/// </summary>
public sealed class BadVersionCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Root => _dir["root"];

    private string Linux => Path.Combine(Root, "efi/EFI/Linux");

    private string EfiVars => _dir["efivars"];

    private static Task<RunResult> Run(params string[] args) => ImageUpdateProcess.RunAsync(null, args);

    /// <summary>IMAGE_VERSION=booted; each installed entry is "VERSION" or "VERSION:UKI-NAME"; sources give available versions.</summary>
    private void MakeRoot(string booted, string[] installed, string[] available)
    {
        foreach (var dir in new[] { "usr/lib/sysupdate.d", "etc", "srv/source", "srv/rootfs", "efi/EFI/Linux" })
        {
            Directory.CreateDirectory(Path.Combine(Root, dir));
        }

        Directory.CreateDirectory(EfiVars);
        File.WriteAllText(Path.Combine(Root, "etc/os-release"), $"ID=demo\nIMAGE_ID=demo\nIMAGE_VERSION={booted}\n");
        File.WriteAllText(Path.Combine(Root, "usr/lib/sysupdate.d/10-rootfs.transfer"), """
            [Transfer]
            ProtectVersion=%A

            [Source]
            Type=regular-file
            Path=/srv/source
            MatchPattern=rootfs_@v.raw

            [Target]
            Type=regular-file
            Path=/srv/rootfs
            MatchPattern=rootfs_@v.raw
            InstancesMax=3
            """);
        File.WriteAllText(Path.Combine(Root, "usr/lib/sysupdate.d/20-uki.transfer"), """
            [Transfer]
            ProtectVersion=%A

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
            InstancesMax=3
            """);
        foreach (var entry in installed)
        {
            var parts = entry.Split(':');
            File.WriteAllText(Path.Combine(Root, $"srv/rootfs/rootfs_{parts[0]}.raw"), parts[0]);
            File.WriteAllText(Path.Combine(Linux, parts.Length > 1 ? parts[1] : $"os_{parts[0]}.efi"), parts[0]);
        }

        foreach (var version in available)
        {
            File.WriteAllText(Path.Combine(Root, $"srv/source/rootfs_{version}.raw"), version);
            File.WriteAllText(Path.Combine(Root, $"srv/source/os_{version}.efi"), version);
        }
    }

    private void Selected(string name) =>
        File.WriteAllBytes(Path.Combine(EfiVars, "LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"), EfiVariablesTests.Encode(name));

    private string[] Ukis() => Directory.EnumerateFiles(Linux).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task List_shows_a_version_with_no_tries_left_as_bad_and_the_one_before_as_current()
    {
        MakeRoot("2", ["1", "2", "3:os_3+0-1.efi"], []);

        var text = await Run("--root", Root, "--offline", "--no-legend", "list");
        var json = await Run("--root", Root, "--offline", "--json=short", "list");
        var one = await Run("--root", Root, "--offline", "--json=short", "list", "3");

        Assert.True(text.ExitCode == 0, text.ToString());
        var lines = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains(" 3 ") && l.EndsWith(" bad"));
        Assert.Contains(lines, l => l.Contains(" 2 ") && l.EndsWith(" current"));
        var doc = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal("2", doc.GetProperty("current").GetString());
        Assert.Equal(["3"], doc.GetProperty("bad").EnumerateArray().Select(e => e.GetString()));
        Assert.True(JsonDocument.Parse(one.Stdout).RootElement.GetProperty("bad").GetBoolean());
    }

    [Fact]
    public async Task Check_new_does_not_offer_a_bad_version_or_anything_older_but_offers_a_newer_one()
    {
        MakeRoot("2", ["2", "3:os_3+0-1.efi"], ["1", "2", "3"]);

        var none = await Run("--root", Root, "check-new");
        File.WriteAllText(Path.Combine(Root, "srv/source/rootfs_4.raw"), "4");
        File.WriteAllText(Path.Combine(Root, "srv/source/os_4.efi"), "4");
        var newer = await Run("--root", Root, "check-new");

        Assert.True(none.ExitCode == 1 && none.Stdout == "", none.ToString());
        Assert.Equal("4\n", newer.Stdout);
    }

    [Fact]
    public async Task Update_does_not_install_a_bad_version_again()
    {
        MakeRoot("2", ["2", "3:os_3+0-1.efi"], ["2", "3"]);

        var result = await Run("--root", Root, "update");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["os_2.efi", "os_3+0-1.efi"], Ukis());
    }

    [Fact]
    public async Task Pending_does_not_count_a_bad_version_as_newer_than_the_booted_one()
    {
        MakeRoot("2", ["1", "2", "3:os_3+0-1.efi"], []);

        Assert.Equal(1, (await Run("--root", Root, "pending")).ExitCode);
    }

    [Fact]
    public async Task Vacuum_removes_a_bad_version_from_every_target_first()
    {
        MakeRoot("2", ["1", "2", "3:os_3+0-1.efi"], []);

        var result = await Run("--root", Root, "vacuum");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Removing bad", result.Stderr);
        Assert.Equal(["os_1.efi", "os_2.efi"], Ukis());
        Assert.False(File.Exists(Path.Combine(Root, "srv/rootfs/rootfs_3.raw")));
        Assert.True(File.Exists(Path.Combine(Root, "srv/rootfs/rootfs_1.raw")));
    }

    [Fact]
    public async Task A_bad_version_vacuumed_away_is_still_never_offered_again()
    {
        MakeRoot("2", ["1", "2", "3:os_3+0-1.efi"], ["1", "2", "3"]);

        var vacuum = await Run("--root", Root, "vacuum");
        var checkNew = await Run("--root", Root, "check-new");
        var update = await Run("--root", Root, "update");
        var list = await Run("--root", Root, "--json=short", "list");
        File.WriteAllText(Path.Combine(Root, "srv/source/rootfs_4.raw"), "4");
        File.WriteAllText(Path.Combine(Root, "srv/source/os_4.efi"), "4");
        var newer = await Run("--root", Root, "check-new");

        Assert.True(vacuum.ExitCode == 0, vacuum.ToString());
        Assert.Equal(["os_1.efi", "os_2.efi"], Ukis());
        Assert.Equal("3\n", File.ReadAllText(Path.Combine(Linux, ImageUpdate.Update.Transfers.BadVersionRecord.FileName)));
        Assert.True(checkNew.ExitCode == 1 && checkNew.Stdout == "", checkNew.ToString());
        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal(["os_1.efi", "os_2.efi"], Ukis());
        var doc = JsonDocument.Parse(list.Stdout).RootElement;
        Assert.Equal(["3"], doc.GetProperty("bad").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("4\n", newer.Stdout);
    }

    [Fact]
    public async Task Rollback_marks_the_booted_entry_bad_so_the_newest_older_good_version_boots()
    {
        MakeRoot("3", ["1", "2:os_2+0-2.efi", "3"], []);
        Selected("os_3.efi");

        var result = await Run("--root", Root, "rollback", "--efivars", EfiVars, "--esp-path", Path.Combine(Root, "efi"));
        var again = await Run("--root", Root, "rollback", "--efivars", EfiVars, "--esp-path", Path.Combine(Root, "efi"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Rolled back from 3 to 1: it boots next.\n", result.Stdout);
        Assert.Equal(["os_1.efi", "os_2+0-2.efi", "os_3+0.efi"], Ukis());
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(["os_1.efi", "os_2+0-2.efi", "os_3+0.efi"], Ukis());
    }

    [Fact]
    public async Task Rollback_refuses_when_no_older_version_is_known_good()
    {
        MakeRoot("2", ["1:os_1+0-3.efi", "2"], []);
        Selected("os_2.efi");

        var result = await Run("--root", Root, "rollback", "--efivars", EfiVars, "--esp-path", Path.Combine(Root, "efi"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("image-update: error: Refusing to roll back from '2': no older installed version is known good (complete, not marked bad, and blessed in a boot).\n", result.Stderr);
        Assert.Equal(["os_1+0-3.efi", "os_2.efi"], Ukis());
    }
}
