using Microsoft.Extensions.Logging;

namespace ImageUpdate.Tests.Update.Imaging;

/// <summary>Keeps the formatted messages of warnings and worse, for tests that assert what was logged.</summary>
internal sealed class ListLogger : ILogger
{
    public List<string> Messages { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Messages.Add(formatter(state, exception));
        }
    }
}
