using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.FileSystem;

/// <summary>The real command-line tools the tests use as oracles and fixture makers (tar, xz, zstd, ...), run by <see cref="TestProcess"/>.</summary>
public static class Tool
{
    /// <summary>Runs the program with an argument list (no shell); its stdout goes to <paramref name="stdoutPath"/> when given.</summary>
    public static void Run(string program, string[] arguments, string? stdoutPath = null, string? workingDirectory = null)
    {
        var (exitCode, stderr) = Execute(program, arguments, stdoutPath, workingDirectory);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {exitCode}: {stderr}");
        }
    }

    public static void Run(string program, params string[] arguments) => Run(program, arguments, null, null);

    /// <summary>Runs the program and returns its stdout as text.</summary>
    public static string Capture(string program, params string[] arguments)
    {
        var output = System.IO.Path.GetTempFileName();
        try
        {
            Run(program, arguments, output);
            return File.ReadAllText(output);
        }
        finally
        {
            File.Delete(output);
        }
    }

    public static int TryRun(string program, params string[] arguments) => Execute(program, arguments, null, null).ExitCode;

    private static (int ExitCode, string Stderr) Execute(string program, string[] arguments, string? stdoutPath, string? workingDirectory)
    {
        using var output = stdoutPath is null ? Stream.Null : File.Create(stdoutPath);
        var result = TestProcess.Run(program, arguments, workingDirectory: workingDirectory ?? Environment.CurrentDirectory, standardOutputTo: output);
        return (result.ExitCode, result.Stderr);
    }
}
