using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Collector.Tests.Reconciliation;

/// <summary>An <see cref="ILoggerProvider"/> that keeps every log line (message and exception) in memory.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public IReadOnlyList<LogLine> From<T>(LogLevel level) =>
        [.. _lines.Where(l => l.Category == typeof(T).FullName && l.Level == level)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    internal sealed record LogLine(string Category, LogLevel Level, string Text);

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception) + (exception is null ? string.Empty : "\n" + exception);
            owner._lines.Enqueue(new LogLine(category, logLevel, text));
        }
    }
}
