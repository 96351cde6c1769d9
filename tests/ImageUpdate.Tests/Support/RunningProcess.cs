using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace ImageUpdate.Tests.Support;

/// <summary>
/// A child started by <see cref="TestProcess.Start"/>: its output is collected as it comes, it can be
/// sent a signal, and it is waited for with a timeout. Disposing kills what is still running (the
/// whole process tree), so no test leaves a program behind.
/// </summary>
public sealed partial class RunningProcess : IAsyncDisposable
{
    /// <summary>Signal numbers (x86-64 and arm64 Linux) for <see cref="Signal"/>.</summary>
    public const int SigInt = 2, SigTerm = 15, SigStop = 19, SigCont = 18;

    private readonly Process _process;
    private readonly string _commandLine;
    private readonly StringBuilder _stdout = new();
    private readonly Task _stdoutDone;
    private readonly Task<string> _stderr;

    internal RunningProcess(Process process, string commandLine, string? standardInput, Stream? standardOutputTo)
    {
        _process = process;
        _commandLine = commandLine;
        _stderr = process.StandardError.ReadToEndAsync();
        _stdoutDone = standardOutputTo is null ? CollectAsync(process.StandardOutput, _stdout) : process.StandardOutput.BaseStream.CopyToAsync(standardOutputTo);
        _ = WriteInputAsync(process, standardInput);
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>What the child has written to stdout so far (when it is not copied to a stream).</summary>
    public string StdoutSoFar
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Sends a signal (SIGINT 2, SIGTERM 15, ...) to the child itself.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits for the child to end; past <paramref name="timeout"/> kills its process tree and throws with its output.</summary>
    public async Task<RunResult> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillTree();
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await _stdoutDone.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"'{_commandLine}' did not finish within {timeout} and was killed; stdout: {StdoutSoFar}; stderr: {await _stderr.ConfigureAwait(false)}");
        }

        await _stdoutDone.ConfigureAwait(false);
        return new RunResult(_process.ExitCode, StdoutSoFar, await _stderr.ConfigureAwait(false));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            KillTree();
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_stdoutDone, _stderr).ConfigureAwait(false);
        }
        catch (IOException)
        {
        }

        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private static async Task WriteInputAsync(Process process, string? input)
    {
        try
        {
            // The child gets an empty stdin unless told otherwise: one that waits for input must not hang.
            if (!string.IsNullOrEmpty(input))
            {
                await process.StandardInput.WriteAsync(input).ConfigureAwait(false);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child exited without reading all of it.
        }
    }

    private static async Task CollectAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (into)
            {
                into.Append(buffer, 0, read);
            }
        }
    }

    private void KillTree()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
