using System.Diagnostics;

namespace ImageUpdate.Tests.FileSystem;

/// <summary>Runs the real command-line tools the tests use as oracles and fixture makers (tar, xz, zstd, ...).</summary>
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
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {program}.");
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdoutPath is null)
        {
            process.StandardOutput.BaseStream.CopyTo(Stream.Null);
        }
        else
        {
            using var output = File.Create(stdoutPath);
            process.StandardOutput.BaseStream.CopyTo(output);
        }

        process.WaitForExit();
        return (process.ExitCode, stderr.Result);
    }
}
