using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Oracle;

/// <summary>
/// The real systemd-sysupdate, for differential tests: systemd 257.x from a Debian trixie chroot and
/// systemd 262.x from a Debian sid chroot (<see cref="Versions"/>). image-update must behave like
/// them; where they differ, 262 is followed unless the test names a 262 bug. Each chroot is built once
/// per machine by <c>tests/oracle/ensure-sysupdate-chroot VERSION</c> (a minute or two, needs root
/// and network) and each run goes through <c>tests/oracle/run-sysupdate</c>, which bind-mounts the
/// work directory at the same absolute path inside the chroot, so paths in definitions work unchanged.
/// </summary>
/// <remarks>
/// <para>
/// Availability is decided once per test run (a static <see cref="Lazy{T}"/>). Tests use
/// <see cref="ForTest"/>: outside CI a test without the oracle is skipped with the reason; with
/// <c>CI=true</c> it fails instead, because in CI nothing may be skipped (<see cref="TestEnvironment"/>).
/// </para>
/// <para>
/// What 257 and 262 need, found by running them: with <c>--definitions=DIR</c> nothing in the chroot's
/// /etc or /run is read for definitions. The chroots' /etc/os-release is Debian's and has no
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

    /// <summary>Environment variable that moves a chroot (default /var/cache/image-update/sysupdate-VERSION); it applies to every version, so set it only when one version runs.</summary>
    public const string RootVariable = "IMAGE_UPDATE_ORACLE_ROOT";

    /// <summary>Environment variable through which run-sysupdate and ensure-sysupdate-chroot learn the version.</summary>
    public const string VersionVariable = "IMAGE_UPDATE_ORACLE_VERSION";

    /// <summary>The systemd releases we compare against: 257 (Debian trixie) and 262 (Debian sid), the one followed where they differ.</summary>
    public static IReadOnlyList<int> Versions { get; } = [257, 262];

    /// <summary>The release whose behaviour wins where the oracles differ (unless a test names a bug of it).</summary>
    public const int Followed = 262;

    // Building a chroot downloads ~260-330 MB; allow a slow mirror.
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(15);

    private static readonly Dictionary<int, Lazy<(SysupdateOracle? Oracle, string WhyNot)>> Instances =
        Versions.ToDictionary(v => v, v => new Lazy<(SysupdateOracle?, string)>(() => Create(v), LazyThreadSafetyMode.ExecutionAndPublication));

    private readonly string _runScript;

    private SysupdateOracle(string runScript, int major, string version)
    {
        _runScript = runScript;
        Major = major;
        Version = version;
    }

    /// <summary>The systemd release, 257 or 262.</summary>
    public int Major { get; }

    /// <summary>The first line of <c>systemd-sysupdate --version</c>, e.g. "systemd 257 (257.13-1~deb13u1)".</summary>
    public string Version { get; }

    /// <summary>The chroot, as run-sysupdate finds it (for programs of the chroot other than systemd-sysupdate).</summary>
    /// <summary>tests/oracle/run-sysupdate, for callers that wrap it (e.g. in a mount namespace of their own).</summary>
    public string RunScript => _runScript;

    public string Root => Environment.GetEnvironmentVariable(RootVariable) is { Length: > 0 } root ? root : $"/var/cache/image-update/sysupdate-{Major}";

    /// <summary>
    /// The oracle of systemd <paramref name="major"/> (257 when not given), building its chroot on
    /// first use if needed; <see langword="null"/> when it cannot be had (not root, no network,
    /// scripts not found), with the reason in <paramref name="whyNot"/>.
    /// </summary>
    public static SysupdateOracle? TryGet(out string whyNot, int major = 257)
    {
        var (oracle, reason) = Instances[major].Value;
        whyNot = reason;
        return oracle;
    }

    /// <summary>
    /// The oracle of systemd <paramref name="major"/> for a test; when it cannot be had, a skip with
    /// the reason (under CI=true a failure), so the result is never <see langword="null"/> in practice.
    /// </summary>
    public static SysupdateOracle? ForTest(ITestOutputHelper output, int major = 257)
    {
        var oracle = TryGet(out var whyNot, major);
        if (oracle is not null)
        {
            output.WriteLine($"oracle: {oracle.Version}");
            return oracle;
        }
        TestEnvironment.Unavailable($"The systemd-sysupdate {major} oracle is unavailable: {whyNot}");
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
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [VersionVariable] = Major.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
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

    private static (SysupdateOracle?, string) Create(int major)
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
            var ensure = TestProcess.RunAsync(
                    Path.Combine(scripts, "ensure-sysupdate-chroot"), [major.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeout: BuildTimeout)
                .GetAwaiter().GetResult();
            if (ensure.ExitCode != 0)
            {
                return (null, $"ensure-sysupdate-chroot failed ({ensure.ExitCode}): {LastLines(ensure.Stderr, 10)}");
            }
            return (new SysupdateOracle(Path.Combine(scripts, "run-sysupdate"), major, ensure.Stdout.Trim()), "");
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
