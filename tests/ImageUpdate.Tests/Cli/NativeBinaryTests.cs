using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// What `make build` ships is one native executable: it runs with an empty environment (no PATH, so
/// no dotnet, no DOTNET_ROOT), needs no file beside it, and links only the system's C library.
/// </summary>
public sealed class NativeBinaryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task It_lists_versions_with_an_empty_environment_and_nothing_beside_it()
    {
        // A copy alone in a directory: no runtime, no assemblies, no deps.json next to it.
        var alone = Directory.CreateDirectory(_dir["alone"]).FullName;
        var program = Path.Combine(alone, "image-update");
        File.Copy(ImageUpdateProcess.ProgramPath, program);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        WriteDefinitions();

        var version = await TestProcess.RunAsync("/usr/bin/env", ["-i", program, "--version"], workingDirectory: alone);
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.StartsWith("1.", version.Stdout, StringComparison.Ordinal);

        var list = await TestProcess.RunAsync("/usr/bin/env", ["-i", program, "--definitions", _dir["defs"], "list"], workingDirectory: alone);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("7", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("candidate", list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void It_is_a_native_executable_that_links_only_system_libraries()
    {
        var program = ImageUpdateProcess.ProgramPath;
        var head = new byte[4];
        using (var stream = File.OpenRead(program))
        {
            stream.ReadExactly(head);
        }

        Assert.Equal([0x7f, (byte)'E', (byte)'L', (byte)'F'], head);
        Assert.False(File.Exists(Path.ChangeExtension(program, ".dll")), "a managed image-update.dll lies beside the program");
        Assert.True(new FileInfo(program).Length <= 20 << 20, $"{program} is {new FileInfo(program).Length} bytes, more than 20 MiB");

        var ldd = TestProcess.Run("ldd", [program]);
        Assert.True(ldd.ExitCode == 0, ldd.ToString());
        var libraries = ldd.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(libraries);
        foreach (var line in libraries)
        {
            var name = line.Split(' ')[0];
            Assert.True(
                name.StartsWith("linux-vdso.so", StringComparison.Ordinal) || name.StartsWith("/lib64/ld-linux", StringComparison.Ordinal)
                || name is "libc.so.6" or "libm.so.6" or "libdl.so.2" or "libpthread.so.0" or "librt.so.1" or "libz.so.1" or "libstdc++.so.6" or "libgcc_s.so.1",
                $"ldd lists {line}, which is not a system library");
        }

        Assert.DoesNotContain(libraries, l => l.Contains("coreclr", StringComparison.Ordinal) || l.Contains("hostfxr", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Before_main_it_fills_the_runtime_data_pages_in_whole_huge_pages()
    {
        // Native/prefault.c: the zero-fill section where the runtime expands its type data (megabytes)
        // is populated by madvise, a call per 2 MiB huge page, instead of a page fault per 4 KiB page;
        // Native/hydrated.ld puts that section on 2 MiB boundaries.
        TestEnvironment.RequireTools("apt-get install strace", "strace");
        var trace = _dir["madvise.trace"];
        var run = await TestProcess.RunAsync("strace", ["-f", "-e", "trace=madvise", "-o", trace, ImageUpdateProcess.ProgramPath, "--version"]);
        Assert.True(run.ExitCode == 0, run.ToString());

        var lines = File.ReadAllLines(trace);
        var hydrated = Populates(lines).Where(p => p.Length >= 2 << 20).ToArray();
        Assert.True(hydrated.Sum(p => p.Length) >= 1 << 20, $"no megabytes populated:\n{string.Join('\n', lines)}");
        Assert.All(hydrated, p => Assert.True(p.Address % (2 << 20) == 0 && p.Length % (2 << 20) == 0 && p.Succeeded, p.Line));
    }

    [Fact]
    public async Task List_starts_no_thread_but_the_prefault_the_finalizer_and_the_signal_handler()
    {
        // A boot-time list does its reads on the main thread: a thread-pool worker or timer thread
        // started for nothing would show here as a fourth clone. The three: Native/prefault.c's thread,
        // which fills the runtime's data pages and ends (it makes no other call traced here), and the
        // runtime's finalizer and signal-handling threads.
        TestEnvironment.RequireTools("apt-get install strace", "strace");
        WriteDefinitions();
        var trace = _dir["clone.trace"];
        var run = await TestProcess.RunAsync("strace", ["-f", "-e", "trace=clone,clone3,prctl,madvise", "-o", trace, ImageUpdateProcess.ProgramPath, "--definitions", _dir["defs"], "list"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("candidate", run.Stdout, StringComparison.Ordinal);

        var lines = File.ReadAllLines(trace);
        var main = Pid(lines[0]);
        var prefault = Populates(lines).Where(p => p.Length >= 2 << 20).Select(p => p.Pid).Distinct().ToArray();
        Assert.True(prefault.Length == 1 && prefault[0] != main, $"the huge pages were not filled on one thread of their own:\n{string.Join('\n', lines)}");
        Assert.All(lines.Where(l => Pid(l) == prefault[0]), l => Assert.True(l.Contains("madvise", StringComparison.Ordinal) || l.Contains("+++ exited", StringComparison.Ordinal), l));

        var clones = lines.Count(l => l.Contains("clone", StringComparison.Ordinal) && !l.Contains("resumed>", StringComparison.Ordinal));
        var names = lines.Where(l => l.Contains("PR_SET_NAME", StringComparison.Ordinal)).ToArray();
        Assert.True(clones == 3, $"{clones} threads started:\n{string.Join('\n', lines)}");

        // The runtime's two threads name themselves once they run; a short list may exit before either
        // gets there (CI once saw only the finalizer's name), so a name is checked only where one was set.
        Assert.All(names, l => Assert.True(
            l.Contains(".NET Finalizer", StringComparison.Ordinal) || l.Contains(".NET SigHandler", StringComparison.Ordinal), l));
    }

    private sealed record Populate(string Line, int Pid, ulong Address, long Length, bool Succeeded);

    /// <summary>The MADV_POPULATE_WRITE calls of an `strace -f -o` trace, a call cut by another thread's joined with its end.</summary>
    private static IEnumerable<Populate> Populates(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (!line.Contains("MADV_POPULATE_WRITE", StringComparison.Ordinal))
            {
                continue;
            }

            var pid = Pid(line);
            var end = line.Contains("<unfinished", StringComparison.Ordinal)
                ? lines.Skip(i + 1).FirstOrDefault(l => Pid(l) == pid && l.Contains("madvise resumed>", StringComparison.Ordinal)) ?? ""
                : line;
            var arguments = line[(line.IndexOf('(', StringComparison.Ordinal) + 1)..].Split(',');
            yield return new Populate(
                line,
                pid,
                Convert.ToUInt64(arguments[0].Trim(), 16),
                long.Parse(arguments[1].Trim(), System.Globalization.CultureInfo.InvariantCulture),
                end.TrimEnd().EndsWith("= 0", StringComparison.Ordinal));
        }
    }

    private static int Pid(string traceLine) =>
        int.Parse(traceLine.AsSpan(0, traceLine.IndexOf(' ', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);

    private void WriteDefinitions() => WriteOneTransfer(_dir);

    /// <summary>DIR/defs/app.transfer: version 7 available in DIR/source/, nothing installed in DIR/target/.</summary>
    internal static void WriteOneTransfer(TempDirectory dir)
    {
        Directory.CreateDirectory(dir["defs"]);
        Directory.CreateDirectory(dir["source"]);
        Directory.CreateDirectory(dir["target"]);
        File.WriteAllText(dir["source/app_7.bin"], "seven");
        File.WriteAllText(dir["defs/app.transfer"], $"""
            [Source]
            Type=regular-file
            Path={dir["source"]}
            MatchPattern=app_@v.bin

            [Target]
            Type=regular-file
            Path={dir["target"]}
            MatchPattern=app_@v.bin
            """);
    }
}
