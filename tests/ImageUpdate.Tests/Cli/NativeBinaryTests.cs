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
    public async Task Before_main_it_fills_the_runtime_data_pages_in_one_call()
    {
        // Native/prefault.c: the zero-fill section where the runtime expands its type data (megabytes)
        // is populated by one madvise instead of a page fault per page, and Native/hydrated.ld puts it
        // on 2 MiB boundaries so that call can fill it with whole huge pages.
        TestEnvironment.RequireTools("apt-get install strace", "strace");
        var trace = _dir["madvise.trace"];
        var run = await TestProcess.RunAsync("strace", ["-e", "trace=madvise", "-o", trace, ImageUpdateProcess.ProgramPath, "--version"]);
        Assert.True(run.ExitCode == 0, run.ToString());

        var populates = File.ReadAllLines(trace).Where(l => l.Contains("MADV_POPULATE_WRITE", StringComparison.Ordinal)).ToArray();
        var populate = populates.MaxBy(l => long.Parse(l.Split(',')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(populate is not null, $"no MADV_POPULATE_WRITE in the trace:\n{File.ReadAllText(trace)}");
        var address = Convert.ToUInt64(populate.Split('(', ',')[1].Trim(), 16);
        var length = long.Parse(populate.Split(',')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(length >= 1 << 20, $"only {length} bytes populated: {populate}");
        Assert.True(address % (2 << 20) == 0 && length % (2 << 20) == 0, $"not whole 2 MiB pages: {populate}");
        Assert.EndsWith("= 0", populate, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_starts_no_thread_but_the_finalizer_and_the_signal_handler()
    {
        // A boot-time list does its reads on the main thread: a thread-pool worker or timer thread
        // started for nothing would show here as a third clone.
        TestEnvironment.RequireTools("apt-get install strace", "strace");
        WriteDefinitions();
        var trace = _dir["clone.trace"];
        var run = await TestProcess.RunAsync("strace", ["-f", "-e", "trace=clone,clone3,prctl", "-o", trace, ImageUpdateProcess.ProgramPath, "--definitions", _dir["defs"], "list"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("candidate", run.Stdout, StringComparison.Ordinal);

        var lines = File.ReadAllLines(trace);
        var clones = lines.Count(l => l.Contains("clone", StringComparison.Ordinal) && !l.Contains("resumed>", StringComparison.Ordinal));
        var names = lines.Where(l => l.Contains("PR_SET_NAME", StringComparison.Ordinal)).ToArray();
        Assert.True(clones == 2, $"{clones} threads started:\n{string.Join('\n', lines)}");

        // The two threads name themselves once they run; a short list may exit before either gets
        // there (CI once saw only the finalizer's name), so a name is checked only where one was set.
        Assert.All(names, l => Assert.True(
            l.Contains(".NET Finalizer", StringComparison.Ordinal) || l.Contains(".NET SigHandler", StringComparison.Ordinal), l));
    }

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
