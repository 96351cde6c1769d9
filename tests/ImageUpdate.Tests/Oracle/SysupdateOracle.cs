using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Oracle;

/// <summary>
/// The real systemd-sysupdate (systemd 257.x from a Debian trixie chroot), for differential tests:
/// image-update must behave like it. The chroot is built once per machine by
/// <c>tests/oracle/ensure-sysupdate-chroot</c> (about a minute, needs root and network) and each run
/// goes through <c>tests/oracle/run-sysupdate</c>, which bind-mounts the work directory at the same
/// absolute path inside the chroot, so paths in definitions work unchanged.
/// </summary>
/// <remarks>
/// <para>
/// Availability is decided once per test run (a static <see cref="Lazy{T}"/>). Tests use
/// <see cref="ForTest"/>: outside CI a test without the oracle is skipped with the reason; with
/// <c>CI=true</c> it fails instead, because in CI nothing may be skipped (<see cref="TestEnvironment"/>).
/// </para>
/// <para>
/// What 257 needs, found by running it: with <c>--definitions=DIR</c> nothing in the chroot's
/// /etc or /run is read for definitions. The chroot's /etc/os-release is Debian's and has no
/// IMAGE_VERSION, so <c>%A</c> expands to "" (ProtectVersion= is then ignored with a warning) and
/// <c>pending</c> fails; pass <see cref="OsReleaseVariable"/> to bind an os-release of your own over it.
/// <c>--root=DIR</c> works, but then every Path= (source and target), CurrentSymlink= and
/// SYSTEMD_ESP_PATH/SYSTEMD_XBOOTLDR_PATH are resolved inside DIR, os-release is DIR's, and
/// <c>pending</c>/<c>reboot</c> refuse to run.
/// </para>
/// </remarks>
public sealed class SysupdateOracle
{
    /// <summary>Environment variable naming an os-release file that run-sysupdate binds over the chroot's for one run.</summary>
    public const string OsReleaseVariable = "IMAGE_UPDATE_ORACLE_OS_RELEASE";

    /// <summary>Environment variable that moves the chroot (default /var/cache/image-update/sysupdate-257).</summary>
    public const string RootVariable = "IMAGE_UPDATE_ORACLE_ROOT";

    // Building the chroot downloads ~260 MB; allow a slow mirror.
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(15);

    private static readonly Lazy<(SysupdateOracle? Oracle, string WhyNot)> Instance =
        new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _runScript;

    private SysupdateOracle(string runScript, string version)
    {
        _runScript = runScript;
        Version = version;
    }

    /// <summary>The first line of <c>systemd-sysupdate --version</c>, e.g. "systemd 257 (257.13-1~deb13u1)".</summary>
    public string Version { get; }

    /// <summary>
    /// The oracle, building its chroot on first use if needed; <see langword="null"/> when it cannot
    /// be had (not root, no network, scripts not found), with the reason in <paramref name="whyNot"/>.
    /// </summary>
    public static SysupdateOracle? TryGet(out string whyNot)
    {
        var (oracle, reason) = Instance.Value;
        whyNot = reason;
        return oracle;
    }

    /// <summary>
    /// The oracle for a test; when it cannot be had, a skip with the reason (under CI=true a failure),
    /// so the result is never <see langword="null"/> in practice.
    /// </summary>
    public static SysupdateOracle? ForTest(ITestOutputHelper output)
    {
        var oracle = TryGet(out var whyNot);
        if (oracle is not null)
        {
            output.WriteLine($"oracle: {oracle.Version}");
            return oracle;
        }
        TestEnvironment.Unavailable($"The systemd-sysupdate oracle is unavailable: {whyNot}");
        return null;
    }

    /// <summary>
    /// Runs the real systemd-sysupdate with <paramref name="args"/>, <paramref name="workDir"/> bound
    /// at the same path inside the chroot. Of the environment only <paramref name="env"/> reaches it
    /// (SYSTEMD_* names such as SYSTEMD_ESP_PATH, SYSTEMD_XBOOTLDR_PATH,
    /// SYSTEMD_SYSUPDATE_VERIFY_FRESHNESS, SYSTEMD_LOG_LEVEL, plus <see cref="OsReleaseVariable"/>);
    /// SYSTEMD_* variables of the test process itself are dropped so runs are reproducible.
    /// </summary>
    public Task<RunResult> RunAsync(string workDir, IReadOnlyDictionary<string, string>? env, params string[] args) =>
        RunAsync(workDir, env, TestProcess.DefaultTimeout, CancellationToken.None, args);

    /// <inheritdoc cref="RunAsync(string, IReadOnlyDictionary{string, string}?, string[])"/>
    public Task<RunResult> RunAsync(
        string workDir,
        IReadOnlyDictionary<string, string>? env,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        params string[] args)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (name.StartsWith("SYSTEMD_", StringComparison.Ordinal) || name == OsReleaseVariable)
            {
                environment[name] = null;
            }
        }
        if (env is not null)
        {
            foreach (var (name, value) in env)
            {
                environment[name] = value;
            }
        }
        return TestProcess.RunAsync(
            _runScript, [Path.GetFullPath(workDir), .. args], environment, workingDirectory: null, timeout, cancellationToken: cancellationToken);
    }

    private static (SysupdateOracle?, string) Create()
    {
        if (!OperatingSystem.IsLinux())
        {
            return (null, "systemd-sysupdate only runs on Linux");
        }
        if (!Environment.IsPrivilegedProcess)
        {
            return (null, "the oracle needs root (chroot and a private mount namespace)");
        }
        var scripts = FindScriptDirectory();
        if (scripts is null)
        {
            return (null, $"tests/oracle/ was not found above {AppContext.BaseDirectory}");
        }
        try
        {
            // Synchronous on purpose: this runs once inside the Lazy, and a test cannot do anything useful meanwhile.
            var ensure = TestProcess.RunAsync(Path.Combine(scripts, "ensure-sysupdate-chroot"), [], timeout: BuildTimeout)
                .GetAwaiter().GetResult();
            if (ensure.ExitCode != 0)
            {
                return (null, $"ensure-sysupdate-chroot failed ({ensure.ExitCode}): {LastLines(ensure.Stderr, 10)}");
            }
            return (new SysupdateOracle(Path.Combine(scripts, "run-sysupdate"), ensure.Stdout.Trim()), "");
        }
        catch (Exception e) when (e is TimeoutException or System.ComponentModel.Win32Exception or IOException)
        {
            return (null, $"ensure-sysupdate-chroot could not run: {e.Message}");
        }
    }

    // The test assembly runs from tests/ImageUpdate.Tests/bin/<config>/<tfm>/; the scripts live in
    // tests/oracle/ of the same checkout.
    private static string? FindScriptDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "oracle");
            if (File.Exists(Path.Combine(candidate, "run-sysupdate")))
            {
                return candidate;
            }
        }
        return null;
    }

    private static string LastLines(string text, int count) =>
        string.Join('\n', text.TrimEnd().Split('\n').TakeLast(count));
}
