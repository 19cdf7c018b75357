using Microsoft.Extensions.Logging;

namespace LlmMeter.Internal;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "LlmMeter price catalog refreshed from {Uri}: {Fetched} models")]
    public static partial void CatalogRefreshed(ILogger logger, int fetched, Uri uri);

    [LoggerMessage(2, LogLevel.Warning, "LlmMeter could not refresh the price catalog from {Uri}: {Reason}")]
    public static partial void CatalogRefreshFailed(ILogger logger, Uri uri, string reason);

    [LoggerMessage(3, LogLevel.Warning, "LlmMeter sink {Sink} threw; the record was dropped for that sink")]
    public static partial void SinkFailed(ILogger logger, string sink, Exception exception);

    [LoggerMessage(4, LogLevel.Debug, "LlmMeter could not meter a call and let it through unmetered")]
    public static partial void MeterFailed(ILogger logger, Exception exception);

    // 100-119: the collector exporter (Sink/). Counts, statuses and field names only: never record contents.
    [LoggerMessage(100, LogLevel.Warning, "LlmMeter collector exporter dropped {Dropped} records: its buffer of {Capacity} was full or it was closed")]
    public static partial void ExporterDropped(ILogger logger, long dropped, int capacity);

    [LoggerMessage(101, LogLevel.Warning, "LlmMeter collector {Collector} could not take a batch of {Count} records ({Reason}); retrying in {Delay} until it does")]
    public static partial void ExporterRetrying(ILogger logger, Uri collector, int count, string reason, TimeSpan delay);

    [LoggerMessage(102, LogLevel.Debug, "LlmMeter collector {Collector} still cannot take a batch of {Count} records ({Reason}); attempt {Attempt}, next in {Delay}")]
    public static partial void ExporterStillRetrying(ILogger logger, Uri collector, int count, string reason, int attempt, TimeSpan delay);

    [LoggerMessage(103, LogLevel.Information, "LlmMeter collector {Collector} took {Count} records after {Attempts} attempts")]
    public static partial void ExporterRecovered(ILogger logger, Uri collector, int count, int attempts);

    [LoggerMessage(104, LogLevel.Warning, "LlmMeter collector {Collector} refused a batch of {Count} records with HTTP {Status}: {Title} {Detail}; the batch was dropped")]
    public static partial void ExporterRefused(ILogger logger, Uri collector, int count, int status, string? title, string? detail);

    [LoggerMessage(105, LogLevel.Error, "LlmMeter collector exporter failed to send a batch of {Count} records; the batch was dropped")]
    public static partial void ExporterFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(106, LogLevel.Warning, "LlmMeter collector exporter closed with {Count} records undelivered to {Collector} after its shutdown timeout of {Timeout}")]
    public static partial void ExporterUndelivered(ILogger logger, Uri collector, long count, TimeSpan timeout);

    [LoggerMessage(107, LogLevel.Warning, "LlmMeter collector {Collector} rejected {Rejected} of {Count} records as invalid (fields: {Fields}); they are not resent")]
    public static partial void ExporterRecordsRejected(ILogger logger, Uri collector, int rejected, int count, string fields);

    [LoggerMessage(108, LogLevel.Warning, "LlmMeter collector {Collector} answered {Reason} {Failures} times for a batch of {Count} records; splitting it to isolate the records it fails on while the others go through")]
    public static partial void ExporterIsolating(ILogger logger, Uri collector, string reason, int failures, int count);

    [LoggerMessage(109, LogLevel.Warning, "LlmMeter collector {Collector} answered {Reason} {Failures} times for one record; it is set aside and retried while the others go on, and given up after {GiveUpAfter} if it still fails while the collector takes other records")]
    public static partial void ExporterSetAside(ILogger logger, Uri collector, string reason, int failures, TimeSpan giveUpAfter);

    [LoggerMessage(110, LogLevel.Error, "LlmMeter collector {Collector} kept failing one record ({Reason}, {Attempts} attempts over {Elapsed}) while taking other records; the record was given up")]
    public static partial void ExporterGaveUp(ILogger logger, Uri collector, string reason, int attempts, TimeSpan elapsed);
}
