namespace ImageUpdate.Tests.Support;

/// <summary>What a finished child process left behind: its exit code and everything it wrote (see <see cref="TestProcess"/>).</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>All three parts, for assertion messages: a failing test must show what the program said.</summary>
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}
