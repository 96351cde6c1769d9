using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Platform.Processes;

/// <summary>
/// <see cref="IProcessRunner"/> over <see cref="Process"/>: the argument list goes through
/// <see cref="ProcessStartInfo.ArgumentList"/> (execve argv, no shell), LC_ALL=C so tool messages are
/// stable, stdin is always redirected and closed so nothing waits on a terminal, and stdout/stderr are
/// drained concurrently (a full pipe would otherwise stall the tool) up to a cap.
/// </summary>
public sealed class ProcessRunner : IProcessRunner
{
    /// <summary>How long, after a kill, the runner waits for the tool to die and its pipes to close.</summary>
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger;

    public ProcessRunner(ILogger<ProcessRunner>? logger = null)
    {
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public async Task<ProcessResult> RunAsync(ProcessRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(request.Timeout, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();

        string[] command = [request.FileName, .. request.Arguments];
        var info = new ProcessStartInfo(request.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = request.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in request.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LC_ALL"] = "C";
        foreach (var (name, value) in request.Environment)
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        _logger.LogDebug("Running {Command}", request.CommandLine);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new Win32Exception("no process was started");
        }
        catch (Win32Exception e)
        {
            throw new ExternalToolException(command, null, string.Empty, $"could not be started ({e.Message})", e);
        }

        using (process)
        {
            var stdout = CaptureAsync(process.StandardOutput.BaseStream, request.MaxOutputBytes);
            var stderr = CaptureAsync(process.StandardError.BaseStream, request.MaxOutputBytes);
            var stdin = FeedAsync(process.StandardInput.BaseStream, request.StandardInput);

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(request.Timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);

                // A child the tool left behind may still hold the pipes open; the deadline bounds that too.
                await Task.WhenAll(stdin, stdout, stderr).WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                await KillAsync(process).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                var partial = await PartialAsync(stderr).ConfigureAwait(false);
                var seconds = request.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
                throw new ExternalToolException(command, null, partial.Text, $"did not finish within {seconds} s and was killed");
            }

            var (output, outputCut) = await stdout.ConfigureAwait(false);
            var (error, errorCut) = await stderr.ConfigureAwait(false);
            var result = new ProcessResult(process.ExitCode, output, error, outputCut || errorCut);
            _logger.LogDebug("{Command} exited with status {ExitCode}", request.CommandLine, result.ExitCode);
            if (request.CheckExitCode && result.ExitCode != 0)
            {
                throw ExternalToolException.Exited(command, result.ExitCode, result.StandardError);
            }

            return result;
        }
    }

    private static async Task<(string Text, bool Truncated)> CaptureAsync(Stream stream, int maxBytes)
    {
        var kept = new MemoryStream();
        var buffer = new byte[16384];
        var truncated = false;
        int read;
        while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            var room = (int)Math.Min(read, maxBytes - kept.Length);
            kept.Write(buffer, 0, room);
            truncated |= room < read;
        }

        return (Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length), truncated);
    }

    private static async Task FeedAsync(Stream stdin, ReadOnlyMemory<byte> input)
    {
        try
        {
            if (!input.IsEmpty)
            {
                await stdin.WriteAsync(input).ConfigureAwait(false);
            }

            await stdin.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // EPIPE: the tool exited or closed stdin without reading everything; its exit status says whether that matters.
        }
    }

    private static async Task KillAsync(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the deadline and the kill.
        }

        using var grace = new CancellationTokenSource(KillGrace);
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<(string Text, bool Truncated)> PartialAsync(Task<(string Text, bool Truncated)> capture)
    {
        try
        {
            return await capture.WaitAsync(KillGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return (string.Empty, false);
        }
    }
}
