using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace ImageUpdate.Tests.Support;

/// <summary>
/// The one way the tests run a program: an argument list (never a shell), the inherited environment
/// with changes (a null value removes a variable), an optional stdin text, stdout as text or copied
/// into a stream (binary output), and a timeout after which the child and its whole process tree are
/// killed and the test fails with a <see cref="TimeoutException"/> that carries what it had written.
/// A program that is not installed is an <see cref="InvalidOperationException"/> naming it.
/// </summary>
public static class TestProcess
{
    /// <summary>The timeout used when the caller gives none.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs the program to its end and returns exit code, stdout and stderr (UTF-8).</summary>
    public static async Task<RunResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        TimeSpan? timeout = null,
        string? standardInput = null,
        Stream? standardOutputTo = null,
        CancellationToken cancellationToken = default)
    {
        await using var process = Start(fileName, arguments, environment, workingDirectory, standardInput, standardOutputTo);
        return await process.WaitAsync(timeout ?? DefaultTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The synchronous form of <see cref="RunAsync"/>, for tests and fixtures that are not async.</summary>
    public static RunResult Run(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        TimeSpan? timeout = null,
        string? standardInput = null,
        Stream? standardOutputTo = null) =>
        RunAsync(fileName, arguments, environment, workingDirectory, timeout, standardInput, standardOutputTo).GetAwaiter().GetResult();

    /// <summary>Runs the program and throws, with its stderr, unless it exits 0; returns its stdout.</summary>
    public static string RunChecked(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? standardInput = null)
    {
        var list = arguments.ToList();
        var result = Run(fileName, list, environment, standardInput: standardInput);
        return result.ExitCode == 0
            ? result.Stdout
            : throw new InvalidOperationException($"{fileName} {string.Join(' ', list)} exited {result.ExitCode}: {result.Stderr}{result.Stdout}");
    }

    /// <summary>Starts the program and returns at once: for a test that signals it or watches it while it runs.</summary>
    public static RunningProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        string? standardInput = null,
        Stream? standardOutputTo = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{fileName}'.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start '{fileName}': {e.Message}", e);
        }

        return new RunningProcess(process, $"{fileName} {string.Join(' ', start.ArgumentList)}", standardInput, standardOutputTo);
    }
}
