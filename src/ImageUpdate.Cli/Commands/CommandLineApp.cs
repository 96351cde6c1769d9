using System.CommandLine;
using System.Runtime.InteropServices;
using ImageUpdate.Cli.Logging;
using ImageUpdate.Cli.Output;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Cli.Commands;

/// <summary>
/// The `image-update` command line: System.CommandLine wiring, the verbs of systemd-sysupdate, and
/// the one place errors become an exit code and a single `image-update: error: ...` line.
/// Output writers are injected so tests can run the whole program in-process.
/// </summary>
public sealed partial class CommandLineApp
{
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly GlobalOptions _global;
    private readonly ImageUpdate.Update.Engine.HostEnvironment _environment;

    // The one console progress of the running update: an update fails mid-copy without finishing
    // its line, and `update -A` runs one engine after another, so a new one (and the verb's end)
    // stops the last one's redraws.
    private ConsoleProgress? _progress;

    /// <param name="environment">The environment variables, read once by <see cref="Program"/>; none when null.</param>
    public CommandLineApp(TextWriter stdout, TextWriter stderr, ImageUpdate.Update.Engine.HostEnvironment? environment = null)
    {
        _out = stdout;
        _err = stderr;
        _environment = environment ?? ImageUpdate.Update.Engine.HostEnvironment.Empty;
        _global = new GlobalOptions(_environment);
    }

    public async Task<int> RunAsync(string[] args)
    {
        var root = Build(NeedsStandardOptions(args));
        var parse = root.Parse(args);
        var verbose = parse.GetValue(_global.Verbose);
        if (parse.Errors.Count > 0)
        {
            _err.WriteLine($"image-update: error: {parse.Errors[0].Message}");
            return 2;
        }

        // The first SIGINT/SIGTERM asks the engine to stop at its next safe point (it finishes a
        // critical section and syncs); a second one is not intercepted and ends the process at once.
        using var cancel = new CancellationTokenSource();
        var signal = 0;
        void OnSignal(PosixSignalContext context, int code)
        {
            if (Interlocked.CompareExchange(ref signal, code, 0) == 0)
            {
                context.Cancel = true;
                cancel.Cancel();
            }
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => OnSignal(c, 130));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => OnSignal(c, 143));
        try
        {
            int code;
            try
            {
                code = await (VarlinkInvocation(parse, cancel.Token)
                    ?? parse.InvokeAsync(new InvocationConfiguration { Output = _out, Error = _err, EnableDefaultExceptionHandler = false }, cancel.Token))
                    .ConfigureAwait(false);
            }
            finally
            {
                // The progress line ends with the verb, before its result or error is printed.
                _progress?.Dispose();
                (_err as TerminalWriter)?.EndStatus();
            }

            return signal != 0 ? signal : code;
        }
        catch (OperationCanceledException) when (signal != 0)
        {
            _err.WriteLine("image-update: error: interrupted; nothing installed is lost, run the same command again to finish.");
            return signal;
        }
        catch (ImageUpdateException e)
        {
            Report(e, verbose);
            return e.ExitCode;
        }
        catch (Exception e)
        {
            // Anything else is a bug or an unexpected system error: still one line, the trace with --verbose.
            Report(e is IOException or UnauthorizedAccessException or InvalidDataException ? e : new ImageUpdateException($"unexpected {e.GetType().Name}: {e.Message}", e), verbose);
            return 1;
        }
        finally
        {
            _out.Flush();
            _err.Flush();
        }
    }

    private void Report(Exception e, bool verbose)
    {
        _err.WriteLine($"image-update: error: {e.Message}");
        if (verbose)
        {
            _err.WriteLine(e);
        }
    }

    /// <summary>
    /// The engine's effects, built in this one place for every verb: the kernel's BTRFS, logind (or
    /// systemctl, or reboot(2)) to reboot after flushing what was printed, a logind shutdown inhibitor
    /// while writing, and the system clock; the bus and the systemd check as the environment says.
    /// </summary>
    private ConsoleProgress NewConsoleProgress(JsonMode json)
    {
        _progress?.Dispose();
        return _progress = new ConsoleProgress(_err, json, vacuum => WriteVacuum(json, vacuum));
    }

    private EngineServices Services(ILogger logger)
    {
        var bus = _environment.SystemBus;
        var systemdOverride = _environment.SystemdRunningOverride;
        return new EngineServices
        {
            Rebooter = new FlushingRebooter(new Systemd.Power.Rebooter(logger, bus, () => Systemd.Power.SystemdPresence.IsRunning(systemdOverride)), _out, _err),
            ShutdownInhibitor = new Systemd.Power.LogindShutdownInhibitor(logger, bus),
            Subscribers = NotifyCallout(logger),
            Clock = TimeProvider.System,
        };
    }

    private ILogger CreateLogger(ParseResult result, bool quiet = false)
    {
        var level = result.GetValue(_global.Verbose) ? LogLevel.Debug : quiet ? LogLevel.Warning : LogLevel.Information;
        return new StderrLoggerProvider(_err, level).CreateLogger("image-update");
    }
}
