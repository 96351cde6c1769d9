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

            var message = formatter(state, exception);
            lock (writer)
            {
                writer.WriteLine(message);
                if (exception is not null && minimum <= LogLevel.Debug)
                {
                    writer.WriteLine(exception);
                }
            }
        }
    }
}
