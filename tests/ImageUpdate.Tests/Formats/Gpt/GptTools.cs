using System.Text.Json;

using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Gpt;

/// <summary>
/// The external oracles (sfdisk, sgdisk, losetup, python3), run by <see cref="TestProcess"/> (argument lists, a timeout).
/// When a tool is missing a test is skipped saying which, except under CI=true, where it fails
/// (<see cref="TestEnvironment"/>): CI installs them (.ci/install-deps).
/// </summary>
internal static class GptTools
{
    /// <summary>True when every tool is installed; otherwise a skip (a failure under CI) naming the missing one.</summary>
    public static void Require(params string[] tools)
    {
        TestEnvironment.RequireTools("apt-get install fdisk gdisk python3 util-linux", tools);
    }

    /// <summary>True when root; otherwise a skip (a failure under CI) naming what needed it.</summary>
    public static void RequireRoot(string forWhat)
    {
        TestEnvironment.RequireRoot($"loop device for {forWhat}");
    }

    public static string Run(string tool, IEnumerable<string> arguments, string? input = null, bool check = true)
    {
        var (exitCode, stdout, stderr) = RunRaw(tool, arguments, input);
        if (check && exitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} exited {exitCode}: {stderr}{stdout}");
        }

        return stdout + stderr;
    }

    public static (int ExitCode, string Stdout, string Stderr) RunRaw(string tool, IEnumerable<string> arguments, string? input = null)
    {
        var result = TestProcess.Run(
            Find(tool) ?? tool,
            arguments,
            new Dictionary<string, string?> { ["LC_ALL"] = "C", ["MTOOLS_SKIP_CHECK"] = "1" },
            timeout: TimeSpan.FromSeconds(60),
            standardInput: input);
        return (result.ExitCode, result.Stdout, result.Stderr);
    }

    /// <summary>An all-zero (sparse) image file of the given size.</summary>
    public static string NewImage(string directory, string name, long bytes)
    {
        var path = Path.Combine(directory, name);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.SetLength(bytes);
        return path;
    }

    /// <summary>Runs an sfdisk script (sfdisk(8) "script" input) against an image or device.</summary>
    public static void Sfdisk(string target, string script) => Run("sfdisk", ["--quiet", "--no-reread", "--no-tell-kernel", target], script);

    public static SfdiskTable SfdiskJson(string target)
    {
        var (exitCode, stdout, stderr) = RunRaw("sfdisk", ["--json", target]);
        Assert.True(exitCode == 0, $"sfdisk --json {target} exited {exitCode}: {stderr}");
        using var json = JsonDocument.Parse(stdout);
        return SfdiskTable.Parse(json);
    }

    /// <summary>sgdisk -v; returns its whole report (the caller asserts "No problems found").</summary>
    public static string SgdiskVerify(string target) => Run("sgdisk", ["-v", target], check: false);

    public static string? Find(string tool) => TestEnvironment.FindTool(tool);
}
