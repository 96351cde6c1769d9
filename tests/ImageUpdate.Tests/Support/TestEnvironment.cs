namespace ImageUpdate.Tests.Support;

/// <summary>
/// What this machine offers the tests, and the one rule for what is missing: on a developer's machine
/// a test that cannot run says why with a real skip; under CI (<c>CI=true</c>, where .ci/install-deps
/// installs every tool and the run is root) it fails instead, with a message naming what is missing,
/// so nothing is skipped in CI and no test passes without having run.
/// </summary>
public static class TestEnvironment
{
    /// <summary>True when the environment variable CI is "true" (the one place that reads it).</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the tests run as uid 0 (loop devices, mounts, mknod, chown).</summary>
    public static bool IsRoot => Environment.IsPrivilegedProcess;

    /// <summary>Stops the test: a skip naming <paramref name="why"/>, or under CI a failure naming it.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Unavailable(string why)
    {
        if (InCi)
        {
            Assert.Fail($"{why} (CI=true: nothing may be skipped, so this is a failure).");
        }

        Assert.Skip(why);
    }

    /// <summary>Returns when <paramref name="present"/> holds; otherwise <see cref="Unavailable"/> with <paramref name="why"/>.</summary>
    public static void Require(bool present, string why)
    {
        if (!present)
        {
            Unavailable(why);
        }
    }

    /// <summary>Returns when running as root; otherwise skips (or fails under CI) saying what needs root.</summary>
    public static void RequireRoot(string forWhat) => Require(IsRoot, $"Not root, so no {forWhat}");

    /// <summary>Returns when every tool is on PATH (or in /usr/sbin, /sbin); otherwise names the first one missing.</summary>
    public static void RequireTools(string installHint, params string[] tools)
    {
        foreach (var tool in tools)
        {
            Require(FindTool(tool) is not null, $"'{tool}' is not installed ({installHint})");
        }
    }

    /// <summary>Returns when <paramref name="path"/> exists; otherwise names it and the package that brings it.</summary>
    public static void RequireFile(string path, string installHint) =>
        Require(File.Exists(path), $"'{path}' is missing ({installHint})");

    /// <summary>The full path of a program on PATH or in the sbin directories, or null.</summary>
    public static string? FindTool(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        foreach (var directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
