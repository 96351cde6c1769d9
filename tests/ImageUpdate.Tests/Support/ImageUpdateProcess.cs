namespace ImageUpdate.Tests.Support;

/// <summary>
/// Runs the `image-update` program built next to the tests as a separate process, so that exit codes,
/// environment variables and crashes (kill -9) are real.
/// </summary>
public static class ImageUpdateProcess
{
    /// <summary>
    /// The program `make build` published (artifacts/bin/image-update, a NativeAOT executable), so what
    /// ships is what is tested; IMAGE_UPDATE_TEST_PROGRAM names another build. `make test` publishes it
    /// before the tests run; a bare `dotnet test` needs a `make build` first.
    /// </summary>
    public static string ProgramPath => Program.Value;

    private static readonly Lazy<string> Program = new(() =>
    {
        if (System.Environment.GetEnvironmentVariable("IMAGE_UPDATE_TEST_PROGRAM") is { Length: > 0 } chosen)
        {
            return File.Exists(chosen) ? chosen : throw new FileNotFoundException("IMAGE_UPDATE_TEST_PROGRAM names no file", chosen);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImageUpdate.sln")))
            {
                var published = Path.Combine(dir.FullName, "artifacts/bin/image-update");
                return File.Exists(published) ? published : throw new FileNotFoundException("image-update is not built: run `make build`", published);
            }
        }

        throw new FileNotFoundException($"ImageUpdate.sln not found above {AppContext.BaseDirectory}");
    });

    public static Task<RunResult> RunAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        TestProcess.RunAsync(ProgramPath, args, Environment(environment));

    /// <summary>Starts the program and returns while it runs (for signals, or to act at a pause point).</summary>
    public static RunningProcess Start(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        TestProcess.Start(ProgramPath, args, Environment(environment));

    /// <summary>The environment every run gets, with the test's own changes on top.</summary>
    public static Dictionary<string, string?> Environment(IReadOnlyDictionary<string, string?>? changes)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            // A private lock file per run: tests in parallel must not contend on /run/image-update.lock.
            ["IMAGE_UPDATE_LOCK_PATH"] = Path.Combine(Path.GetTempPath(), $"image-update-test-{Guid.NewGuid():N}.lock"),
            // Nor the machine's /var/lib/image-update: a run's index cache (issue 16) is its own, so one
            // test's cached index never saves another test a download it counts.
            ["IMAGE_UPDATE_STATE_DIRECTORY"] = Path.Combine(Path.GetTempPath(), $"image-update-test-state-{Guid.NewGuid():N}"),
            ["SYSTEMD_ESP_PATH"] = null,
            ["SYSTEMD_XBOOTLDR_PATH"] = null,

            // Never the machine's own system bus or service manager: no inhibitors taken from the real
            // logind, no failed units of the test machine counted by bless, no datagrams to a real
            // NOTIFY_SOCKET. Tests of those paths set their own private bus and socket.
            ["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=/nonexistent/image-update-test-bus",
            ["IMAGE_UPDATE_TEST_SYSTEMD_RUNNING"] = "0",
            ["NOTIFY_SOCKET"] = null,
        };
        foreach (var (key, value) in changes ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        return environment;
    }
}
