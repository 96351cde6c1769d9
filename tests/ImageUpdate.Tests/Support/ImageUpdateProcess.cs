using System.Diagnostics;
using System.Text;

namespace ImageUpdate.Tests.Support;

/// <summary>What a run of the real `image-update` program did.</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the `image-update` program built next to the tests as a separate process, so that exit codes,
/// environment variables and crashes (kill -9) are real.
/// </summary>
public static class ImageUpdateProcess
{
    /// <summary>
    /// The program as its own project built it (src/ImageUpdate.Cli/bin/CONFIG/net10.0), not the copy
    /// next to the tests: the test project also references ASP.NET Core for its HTTP servers, which
    /// changes which assemblies land beside the tests, and the program must run with its own set.
    /// </summary>
    public static string ProgramPath => Program.Value;

    private static readonly Lazy<string> Program = new(() =>
    {
        var baseDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var framework = baseDirectory.Name;
        var configuration = baseDirectory.Parent!.Name;
        for (var dir = baseDirectory; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImageUpdate.sln")))
            {
                var apphost = Path.Combine(dir.FullName, "src/ImageUpdate.Cli/bin", configuration, framework, "image-update");
                return File.Exists(apphost) ? apphost : throw new FileNotFoundException("image-update is not built", apphost);
            }
        }

        throw new FileNotFoundException($"ImageUpdate.sln not found above {AppContext.BaseDirectory}");
    });

    public static async Task<RunResult> RunAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(ProgramPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // A private lock file per test run: tests in parallel must not contend on /run/image-update.lock.
        start.Environment["IMAGE_UPDATE_LOCK_PATH"] = Path.Combine(Path.GetTempPath(), $"image-update-test-{Guid.NewGuid():N}.lock");
        start.Environment.Remove("SYSTEMD_ESP_PATH");
        start.Environment.Remove("SYSTEMD_XBOOTLDR_PATH");

        // Never the machine's own system bus or service manager: no inhibitors taken from the real
        // logind, no failed units of the test machine counted by bless, no datagrams to a real
        // NOTIFY_SOCKET. Tests of those paths set their own private bus and socket.
        start.Environment["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=/nonexistent/image-update-test-bus";
        start.Environment["IMAGE_UPDATE_TEST_SYSTEMD_RUNNING"] = "0";
        start.Environment.Remove("NOTIFY_SOCKET");
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new RunResult(process.ExitCode, await stdout, await stderr);
    }
}
