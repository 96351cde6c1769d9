using Microsoft.Extensions.Logging;

namespace ImageUpdate.Cli.Logging;

/// <summary>
/// Log lines to stderr, as systemd-sysupdate writes them: the message alone, one per line. Kept
/// tiny on purpose: the console logger package costs start-up time on every boot-time invocation.
/// </summary>
public sealed class StderrLoggerProvider(TextWriter writer, LogLevel minimum) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new StderrLogger(writer, minimum);

    public void Dispose()
    {
    }

    private sealed class StderrLogger(TextWriter writer, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            // One write per entry: on a terminal the writer (Output.TerminalWriter) erases the progress
            // line before it, under the lock the line is drawn under, so the two never share a line.
            var message = formatter(state, exception);
            if (exception is not null && minimum <= LogLevel.Debug)
            {
                message += Environment.NewLine + exception;
            }

            lock (writer)
            {
                writer.WriteLine(message);
            }
        }
    }
}
