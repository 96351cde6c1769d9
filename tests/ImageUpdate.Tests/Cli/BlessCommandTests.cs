using System.Text.Json;
using ImageUpdate.Tests.Support;
using ImageUpdate.Tests.Systemd.BootCounting;

namespace ImageUpdate.Tests.Cli;

/// <summary>`image-update bless` run as a program against a fake efivarfs and ESP.</summary>
public sealed class BlessCommandTests : IDisposable
{
    private readonly FakeBoot _boot = new();

    public void Dispose() => _boot.Dispose();

    private Task<RunResult> Bless(params string[] args) =>
        ImageUpdateProcess.RunAsync(null, ["bless", .. args, "--efivars", _boot.EfiVars, "--esp-path", _boot.Esp]);

    private string HealthDir(string name) => Path.Combine(_boot.Root, name);

    private string Check(string directory, string name, string body, bool executable = true)
    {
        var dir = HealthDir(directory);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, executable ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return dir;
    }

    [Fact]
    public async Task Status_prints_the_entry_its_counters_and_the_verdict()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        var text = await Bless("status");
        var json = await Bless("--json=short", "status");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains($"Entry: {_boot.Uki("os_2+2-1.efi")}", text.Stdout);
        Assert.Contains("Tries left: 2", text.Stdout);
        Assert.Contains("Tries done: 1", text.Stdout);
        Assert.Contains("State: indeterminate", text.Stdout);
        var doc = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(_boot.Uki("os_2+2-1.efi"), doc.GetProperty("entry").GetString());
        Assert.Equal(2, doc.GetProperty("triesLeft").GetInt32());
        Assert.Equal(1, doc.GetProperty("triesDone").GetInt32());
        Assert.Equal("indeterminate", doc.GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("good", "os_2.efi", "good")]
    [InlineData("bad", "os_2+0-1.efi", "bad")]
    [InlineData("indeterminate", "os_2+2-1.efi", "indeterminate")]
    public async Task Each_verdict_renames_the_entry_and_twice_is_harmless(string verdict, string renamed, string state)
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        var first = await Bless(verdict);
        var second = await Bless(verdict);
        var status = await Bless("--json=short", "status");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal($"{state}\n", second.Stdout);
        Assert.Equal(["os_1.efi", renamed], _boot.UkiNames());
        Assert.Equal(state, JsonDocument.Parse(status.Stdout).RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_entry_without_a_counter_is_clean_and_left_alone()
    {
        _boot.Ukis("os_1.efi").Selected("os_1.efi");
        var failing = Check("health", "10-fail", "exit 1");

        var auto = await Bless("--health-dir", failing);
        var good = await Bless("good");
        var status = await Bless("status");

        Assert.True(auto.ExitCode == 0, auto.ToString());
        Assert.Equal("clean\n", auto.Stdout);
        Assert.DoesNotContain("10-fail", auto.Stderr);
        Assert.Equal(0, good.ExitCode);
        Assert.Contains("State: clean", status.Stdout);
        Assert.Equal(["os_1.efi"], _boot.UkiNames());
    }

    [Fact]
    public async Task The_only_remaining_good_entry_is_never_marked_bad()
    {
        _boot.Ukis("os_1+0-3.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        var result = await Bless("bad");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            $"image-update: error: Refusing to mark '{_boot.Uki("os_2+2-1.efi")}' bad: it is the only entry in '{Path.Combine(_boot.Esp, "EFI/Linux")}' that is good or has tries left, and nothing else would boot.\n",
            result.Stderr);
        Assert.Equal(["os_1+0-3.efi", "os_2+2-1.efi"], _boot.UkiNames());
    }

    [Fact]
    public async Task Passing_health_checks_mark_the_boot_good_and_their_output_is_logged()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");
        var dir = Check("health", "10-ok", "echo all fine");
        Check("health", "20-notes", "exit 1", executable: false);

        var result = await Bless("--health-dir", dir);
        var again = await Bless("--health-dir", dir);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("good\n", result.Stdout);
        Assert.Contains("10-ok: all fine", result.Stderr);
        Assert.Contains("not executable", result.Stderr);
        Assert.Equal(["os_1.efi", "os_2.efi"], _boot.UkiNames());
        Assert.Equal(0, again.ExitCode);
        Assert.DoesNotContain("10-ok", again.Stderr);
    }

    [Fact]
    public async Task A_failing_health_check_marks_the_boot_bad()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");
        var dir = Check("health", "10-ok", "exit 0");
        Check("health", "20-broken", "echo 'service down' >&2; exit 4");

        var result = await Bless("--health-dir", dir);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("bad\n", result.Stdout);
        Assert.Contains("20-broken: service down", result.Stderr);
        Assert.Contains("exited with status 4", result.Stderr);
        Assert.Equal(["os_1.efi", "os_2+0-1.efi"], _boot.UkiNames());
    }

    [Fact]
    public async Task A_health_check_past_its_timeout_marks_the_boot_bad()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");
        var dir = Check("health", "10-hang", "sleep 30");

        var result = await Bless("--health-dir", dir, "--health-timeout", "0.5");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("did not finish within 0.5 s", result.Stderr);
        Assert.Equal(["os_1.efi", "os_2+0-1.efi"], _boot.UkiNames());
    }

    [Fact]
    public async Task A_check_in_the_first_directory_masks_the_same_name_in_the_second()
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");
        var etc = Check("etc", "10-net", "exit 0");
        var lib = Check("lib", "10-net", "exit 1");

        var masked = await Bless("--health-dir", etc, "--health-dir", lib);

        Assert.True(masked.ExitCode == 0, masked.ToString());
        Assert.Equal(["os_1.efi", "os_2.efi"], _boot.UkiNames());
    }

    [Theory]
    [InlineData(new[] { "bless", "maybe" }, "maybe")]
    [InlineData(new[] { "bless", "--health-timeout", "soon" }, "Failed to parse --health-timeout= argument: soon")]
    [InlineData(new[] { "bless", "--health-timeout", "0" }, "Failed to parse --health-timeout= argument: 0")]
    public async Task Bad_arguments_are_one_line_usage_errors(string[] args, string fragment)
    {
        _boot.Ukis("os_1.efi", "os_2+2-1.efi").BootedUki("os_2+2-1.efi");

        var result = await ImageUpdateProcess.RunAsync(null, [.. args, "--efivars", _boot.EfiVars, "--esp-path", _boot.Esp]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(fragment, result.Stderr);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task Missing_efivars_is_one_line_naming_the_directory()
    {
        var result = await ImageUpdateProcess.RunAsync(null, "bless", "status", "--efivars", Path.Combine(_boot.Root, "nothing"), "--esp-path", _boot.Esp);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"image-update: error: No EFI variables in '{Path.Combine(_boot.Root, "nothing")}': not booted through UEFI, or efivarfs is not mounted there.\n", result.Stderr);
    }
}
