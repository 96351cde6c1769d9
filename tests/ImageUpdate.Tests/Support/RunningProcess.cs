using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace ImageUpdate.Tests.Support;

/// <summary>
/// A child started by <see cref="TestProcess.Start"/>: its output is collected as it comes, it can be
/// sent a signal, and it is waited for with a timeout. Disposing kills what is still running (the
/// whole process tree), so no test leaves a program behind. A child that announces readiness on stdout
/// (an address, a "ready" line) is read a line at a time with <see cref="ReadStdoutLineAsync"/>.
/// </summary>
public sealed partial class RunningProcess : IAsyncDisposable
{
    /// <summary>Signal numbers (x86-64 and arm64 Linux) for <see cref="Signal"/>.</summary>
    public const int SigInt = 2, SigTerm = 15, SigStop = 19, SigCont = 18;

    private readonly Process _process;
    private readonly string _commandLine;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderrText = new();
    private readonly Task _stdoutDone;
    private readonly Task<string> _stderr;
    private int _nextLine;
    private bool _stdoutEnded;
    private TaskCompletionSource _stdoutGrew = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal RunningProcess(Process process, string commandLine, string? standardInput, Stream? standardOutputTo)
    {
        _process = process;
        _commandLine = commandLine;
        _stderr = CollectStderrAsync(process.StandardError);
        _stdoutDone = standardOutputTo is null ? CollectStdoutAsync(process.StandardOutput) : process.StandardOutput.BaseStream.CopyToAsync(standardOutputTo);
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

    /// <summary>What the child has written to stderr so far.</summary>
    public string StderrSoFar
    {
        get
        {
            lock (_stderrText)
            {
                return _stderrText.ToString();
            }
        }
    }

    /// <summary>
    /// The next stdout line not yet read this way (without its line end), waiting for it as long as the
    /// child keeps stdout open; null once stdout has ended. <see cref="StdoutSoFar"/> still holds all of it.
    /// Only for a child whose stdout is not copied to a stream.
    /// </summary>
    public async Task<string?> ReadStdoutLineAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task grew;
            lock (_stdout)
            {
                var rest = _stdout.ToString(_nextLine, _stdout.Length - _nextLine);
                var end = rest.IndexOf('\n', StringComparison.Ordinal);
                if (end >= 0)
                {
                    _nextLine += end + 1;
                    return rest[..end].TrimEnd('\r');
                }

                if (_stdoutEnded)
                {
                    _nextLine += rest.Length;
                    return rest.Length > 0 ? rest : null;
                }

                grew = _stdoutGrew.Task;
            }

            await grew.WaitAsync(cancellationToken).ConfigureAwait(false);
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

    private async Task<string> CollectStderrAsync(StreamReader reader)
    {
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (_stderrText)
            {
                _stderrText.Append(buffer, 0, read);
            }
        }

        return StderrSoFar;
    }

    private async Task CollectStdoutAsync(StreamReader reader)
    {
        var buffer = new char[8192];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                lock (_stdout)
                {
                    _stdout.Append(buffer, 0, read);
                    WakeLineReaders();
                }
            }
        }
        finally
        {
            lock (_stdout)
            {
                _stdoutEnded = true;
                WakeLineReaders();
            }
        }
    }

    /// <summary>Under the stdout lock: lets a waiting <see cref="ReadStdoutLineAsync"/> look again.</summary>
    private void WakeLineReaders()
    {
        var grew = _stdoutGrew;
        _stdoutGrew = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        grew.SetResult();
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
