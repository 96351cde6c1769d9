using System.Text.RegularExpressions;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.FileSystem;

/// <summary>
/// The syncs of a real update, seen by strace from outside the program: the new file's data is
/// fsynced before it takes its final name, the directory holding that name is fsynced after the
/// rename, and the file systems are synced (sync or syncfs) before the program reports success.
/// </summary>
public sealed partial class SyncTraceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_update_fsyncs_the_file_before_its_rename_and_the_directory_after_it()
    {
        TestEnvironment.RequireTools("apt-get install strace", "strace");
        var root = AppTree.Make(_dir["root"], "1", ["1"]);
        File.WriteAllText(Path.Combine(root, "srv/source/app_2.bin"), "two");
        var trace = _dir["trace"];

        var run = await TestProcess.RunAsync(
            "strace",
            ["-f", "-qq", "-y", "-e", "trace=fsync,fdatasync,syncfs,sync,rename,renameat,renameat2", "-o", trace, ImageUpdateProcess.ProgramPath, "--root", root, "update"],
            ImageUpdateProcess.Environment(null));

        Assert.True(run.ExitCode == 0, run.ToString());
        var target = Path.Combine(root, "srv/target");
        var final = Path.Combine(target, "app_2.bin");
        var calls = File.ReadAllLines(trace).Select(l => Syscall().Match(l)).Where(m => m.Success && m.Groups["result"].Value == "0")
            .Select(m => (Name: m.Groups["name"].Value, Arguments: m.Groups["arguments"].Value)).ToList();
        var install = calls.FindIndex(c => c.Name.StartsWith("rename", StringComparison.Ordinal) && c.Arguments.Contains($"\"{final}\"", StringComparison.Ordinal));
        Assert.True(install >= 0, $"no rename to {final} in:\n{string.Join('\n', calls)}");

        // Before: an fsync of the file under its temporary name (strace -y shows the path of the descriptor).
        Assert.Contains(calls[..install], c => c.Name is "fsync" or "fdatasync" && c.Arguments.Contains("app_2.bin>", StringComparison.Ordinal) && c.Arguments.Contains(target, StringComparison.Ordinal));

        // After: the directory that holds the new name, and the whole file system.
        Assert.Contains(calls[(install + 1)..], c => c.Name == "fsync" && c.Arguments.Contains($"<{target}>", StringComparison.Ordinal));
        Assert.Contains(calls[(install + 1)..], c => c.Name is "syncfs" or "sync");
    }

    // "1234  fsync(12</tmp/x/.sysupdate.partial.app_2.bin>) = 0", with -f the pid first.
    [GeneratedRegex(@"^(?:\d+\s+)?(?<name>[a-z0-9_]+)\((?<arguments>.*)\)\s+=\s+(?<result>-?\d+)")]
    private static partial Regex Syscall();
}
