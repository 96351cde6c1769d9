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
    public static string ProgramPath
    {
        get
        {
            var apphost = Path.Combine(AppContext.BaseDirectory, "image-update");
            return File.Exists(apphost) ? apphost : throw new FileNotFoundException("image-update apphost not found next to the tests", apphost);
        }
    }

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
