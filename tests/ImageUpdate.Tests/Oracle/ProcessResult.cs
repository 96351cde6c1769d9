namespace ImageUpdate.Tests.Oracle;

/// <summary>What a finished child process left behind: its exit code and everything it wrote.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>All three parts, for assertion messages: a failing differential test must show what the program said.</summary>
    public override string ToString() =>
        $"exit code {ExitCode}\n--- stdout\n{StandardOutput}--- stderr\n{StandardError}";
}
