using System.Diagnostics;

namespace ImageUpdate.Foundation.Diagnostics;

/// <summary>
/// Fault injection for the crash-safety tests: when IMAGE_UPDATE_TEST_CRASH_AT names a point
/// ("after-partial", or "after-partial:2" for its second hit), the process kills itself with SIGKILL
/// exactly there, as a power cut or `kill -9` would. IMAGE_UPDATE_TEST_PAUSE_AT=NAME:MILLISECONDS
/// instead pauses there, so a test can act on the world at that exact step (rewrite a staging
/// directory after its snapshot). The program reads both once and hands them to <see cref="Arm"/>;
/// unarmed (always, outside tests) a point costs two null checks.
/// </summary>
public static class CrashPoint
{
    public const string EnvironmentVariable = "IMAGE_UPDATE_TEST_CRASH_AT";

    public const string PauseVariable = "IMAGE_UPDATE_TEST_PAUSE_AT";

    private static (string Name, int Hit)? _target;
    private static (string Name, int Milliseconds)? _pause;
    private static int _hits;

    /// <summary>Sets the points from the values of <see cref="EnvironmentVariable"/> and <see cref="PauseVariable"/> (null: none).</summary>
    public static void Arm(string? crashAt, string? pauseAt)
    {
        _target = Parse(crashAt);
        _pause = Parse(pauseAt);
        _hits = 0;
    }

    public static void Hit(string name)
    {
        if (_pause is { } pause && pause.Name == name)
        {
            Thread.Sleep(pause.Milliseconds);
        }

        if (_target is not { } target || target.Name != name)
        {
            return;
        }

        if (Interlocked.Increment(ref _hits) == target.Hit)
        {
            Process.GetCurrentProcess().Kill();
            Thread.Sleep(Timeout.Infinite);
        }
    }

    private static (string, int)? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var colon = value.LastIndexOf(':');
        return colon > 0 && int.TryParse(value.AsSpan(colon + 1), out var n) ? (value[..colon], n) : (value, 1);
    }
}
