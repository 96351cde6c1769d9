using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// --image: the verbs act on a disk image file, its Path=auto partition targets being the image's GPT
/// and its ESP file targets the FAT file system inside the image's ESP (changed through mtools, never
/// mounted), with the same partial → pending → final steps as on a host.
/// </summary>
public sealed class ImageOptionTests
{
    private static void RequireTools() => GptTools.Require("sfdisk", "sgdisk", "mkfs.vfat", "fsck.fat", "mdir", "mcopy", "mren", "mdel", "mmd");

    [Fact]
    public async Task Update_writes_the_root_slot_and_the_uki_into_the_image_esp()
    {
        RequireTools();

        using var s = new DiskImageScenario();
        s.NewVersion("1");
        var update = await s.RunAsync("update");
        Assert.True(update.ExitCode == 0, update.ToString());

        Assert.Contains("::/EFI/Linux/demo_1+3-0.efi", s.EspFiles());
        Assert.Equal(File.ReadAllBytes(s.Uki("1")), s.EspFile("/EFI/Linux/demo_1+3-0.efi"));
        var table = GptTools.SfdiskJson(s.Disk);
        var slot = Assert.Single(table.Partitions, p => p.Name == "demo_1");
        var written = new byte[new FileInfo(s.Root("1")).Length];
        using (var disk = File.OpenRead(s.Disk))
        {
            disk.Position = (long)slot.Start * 512;
            disk.ReadExactly(written);
        }

        Assert.Equal(File.ReadAllBytes(s.Root("1")), written);
        GptAssert.SgdiskFindsNoProblems(s.Disk);

        // Nothing temporary is left on the ESP.
        Assert.DoesNotContain(s.EspFiles(), f => f.Contains("sysupdate", StringComparison.Ordinal));

        var list = await s.RunAsync("list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"● 1\s+✓\s+✓\s+current", list.Stdout);
    }

    [Fact]
    public async Task Later_versions_fill_the_other_slot_and_vacuum_the_oldest_uki()
    {
        RequireTools();

        using var s = new DiskImageScenario(instancesMax: 2);
        foreach (var version in new[] { "1", "2", "3" })
        {
            s.NewVersion(version);
            var update = await s.RunAsync("update");
            Assert.True(update.ExitCode == 0, update.ToString());
        }

        var esp = s.EspFiles();
        Assert.Contains("::/EFI/Linux/demo_3+3-0.efi", esp);
        Assert.Contains("::/EFI/Linux/demo_2+3-0.efi", esp);
        Assert.DoesNotContain("::/EFI/Linux/demo_1+3-0.efi", esp);
        // Each version took the smallest free slot that fits; v3 replaced v1.
        var names = GptTools.SfdiskJson(s.Disk).Partitions.Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["ESP", "demo_2", "demo_3"], names);

        var vacuum = await s.RunAsync("vacuum", "-m", "1");
        Assert.True(vacuum.ExitCode == 0, vacuum.ToString());
        Assert.DoesNotContain("::/EFI/Linux/demo_2+3-0.efi", s.EspFiles());
        Assert.Equal(["ESP", "_empty", "demo_3"], GptTools.SfdiskJson(s.Disk).Partitions.Select(p => p.Name).Order(StringComparer.Ordinal).ToList());
    }

    [Theory]
    [InlineData("after-partial-write")]
    [InlineData("after-pending")]
    [InlineData("after-install-rename")]
    public async Task A_kill_while_the_esp_is_written_leaves_a_state_a_rerun_completes(string point)
    {
        RequireTools();

        using var s = new DiskImageScenario();
        s.NewVersion("1");
        Assert.Equal(0, (await s.RunAsync("update")).ExitCode);
        s.NewVersion("2");

        // These points are the file target's (the partition has its own, tested elsewhere).
        var crashed = await s.RunAsync(new Dictionary<string, string?> { ["IMAGE_UPDATE_TEST_CRASH_AT"] = point }, "update");
        Assert.NotEqual(0, crashed.ExitCode);
        Assert.Contains("::/EFI/Linux/demo_1+3-0.efi", s.EspFiles());
        Assert.Null(s.EspProblems());

        var rerun = await s.RunAsync("update");
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        var esp = s.EspFiles();
        Assert.Contains("::/EFI/Linux/demo_2+3-0.efi", esp);
        Assert.Contains("::/EFI/Linux/demo_1+3-0.efi", esp);
        Assert.DoesNotContain(esp, f => f.Contains("sysupdate", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllBytes(s.Uki("2")), s.EspFile("/EFI/Linux/demo_2+3-0.efi"));
        Assert.Null(s.EspProblems());
        GptAssert.SgdiskFindsNoProblems(s.Disk);
    }

    [Fact]
    public async Task One_image_has_one_writer_while_the_host_lock_stays_free()
    {
        RequireTools();

        using var s = new DiskImageScenario();
        using var other = new DiskImageScenario();
        s.NewVersion("1");
        other.NewVersion("1");
        var hostLock = Path.Combine(Path.GetTempPath(), $"image-update-test-{Guid.NewGuid():N}.lock");
        var environment = new Dictionary<string, string?> { ["IMAGE_UPDATE_LOCK_PATH"] = hostLock };

        // The first writer is stopped (SIGSTOP) once it holds the image's lock, and goes on (SIGCONT)
        // after the others have run: it holds the lock for exactly as long as the test needs.
        var imageLock = Path.Combine(Path.GetTempPath(), $"image-update.image-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(s.Disk))))[..16]}.lock");
        await using var first = ImageUpdateProcess.Start(environment, ["--image", s.Disk, "--definitions", s.Definitions, "update"]);
        await LockProbe.WaitUntilHeldAsync(imageLock, first.Id, () => first.HasExited);
        first.Signal(RunningProcess.SigStop);
        RunResult second, otherImage;
        try
        {
            second = await s.RunAsync(environment, "update");
            otherImage = await other.RunAsync(environment, "update");
            using var host = ImageUpdate.Platform.FileSystem.FileLock.TryAcquire(hostLock, out var held) ? held : null;
            Assert.NotNull(host);
        }
        finally
        {
            first.Signal(RunningProcess.SigCont);
        }

        var firstResult = await first.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(firstResult.ExitCode == 0, firstResult.ToString());
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("Another image-update is writing", second.Stderr);
        Assert.Contains("disk.raw", second.Stderr);
        Assert.True(otherImage.ExitCode == 0, otherImage.ToString());
    }

    [Fact]
    public async Task A_bad_version_vacuumed_from_the_image_is_remembered_on_its_esp()
    {
        RequireTools();

        using var s = new DiskImageScenario();
        foreach (var version in new[] { "1", "2" })
        {
            s.NewVersion(version);
            Assert.Equal(0, (await s.RunAsync("update")).ExitCode);
        }

        // What systemd-boot and `bless bad` leave after v2 failed its boot.
        GptTools.Run("mren", ["-i", $"{s.Disk}@@{DiskImageScenario.EspOffset}", "::/EFI/Linux/demo_2+3-0.efi", "::/EFI/Linux/demo_2+0-1.efi"]);
        var vacuum = await s.RunAsync("vacuum");
        var checkNew = await s.RunAsync("check-new");

        Assert.True(vacuum.ExitCode == 0, vacuum.ToString());
        var esp = s.EspFiles();
        Assert.DoesNotContain(esp, f => f.Contains("demo_2", StringComparison.Ordinal));
        Assert.Equal("2\n", System.Text.Encoding.UTF8.GetString(s.EspFile("/EFI/Linux/.image-update-bad-versions")));
        Assert.True(checkNew.ExitCode == 1 && checkNew.Stdout == "", checkNew.ToString());
    }

    [Fact]
    public async Task Image_and_root_together_are_a_usage_error()
    {
        using var s = new DiskImageScenario();
        var result = await ImageUpdateProcess.RunAsync(null, "--image", s.Disk, "--root", "/tmp", "list");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--root= and --image= switches may not be combined", result.Stderr);
    }

    [Theory]
    [InlineData("[Target]\nType=partition\nPath=/dev/sda\nMatchPattern=x_@v\nMatchPartitionType=root", "must have Path=auto (the image), not '/dev/sda'")]
    [InlineData("[Target]\nType=regular-file\nPath=/usr/lib/x\nMatchPattern=x_@v", "file targets must live on the ESP or XBOOTLDR partition")]
    [InlineData("[Target]\nType=regular-file\nPath=/EFI/Linux\nPathRelativeTo=xbootldr\nMatchPattern=x_@v", "has no XBOOTLDR partition")]
    [InlineData("[Target]\nType=regular-file\nPath=/EFI/Linux\nPathRelativeTo=esp\nMatchPattern=x_@v\nCurrentSymlink=/EFI/Linux/current", "FAT has no symbolic links")]
    public async Task Targets_outside_the_image_are_refused_naming_the_file(string target, string message)
    {
        RequireTools();

        using var s = new DiskImageScenario();
        foreach (var file in Directory.GetFiles(s.Definitions))
        {
            File.Delete(file);
        }

        var definition = Path.Combine(s.Definitions, "50-odd.transfer");
        File.WriteAllText(definition, $"[Source]\nType=regular-file\nPath={s.Payloads}\nMatchPattern=x_@v\n\n{target}\n");
        var result = await s.RunAsync("list");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains("50-odd.transfer", result.Stderr);
    }

    [Fact]
    public async Task An_image_that_is_not_a_disk_is_one_clear_error()
    {
        using var dir = new Support.TempDirectory();
        var definitions = dir["defs"];
        Directory.CreateDirectory(definitions);
        File.WriteAllText(Path.Combine(definitions, "90-uki.transfer"), "[Source]\nType=regular-file\nPath=/nonexistent\nMatchPattern=x_@v\n\n[Target]\nType=regular-file\nPath=/EFI/Linux\nPathRelativeTo=esp\nMatchPattern=x_@v\n");
        File.WriteAllText(dir["junk.raw"], "not a disk");
        var result = await ImageUpdateProcess.RunAsync(null, "--image", dir["junk.raw"], "--definitions", definitions, "list");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("junk.raw", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }
}
