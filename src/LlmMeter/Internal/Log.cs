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
}
