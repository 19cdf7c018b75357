using Microsoft.Extensions.Logging;

namespace LlmMeter.Policy.Internal;

internal static partial class PolicyLog
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "LlmMeter could not fetch the routing policy (status {Status}); the last policy stays in force.")]
    public static partial void PollFailed(ILogger logger, int status, Exception? exception);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "LlmMeter has not reached the collector for {KeepFor}; routing rules are suspended until it answers again.")]
    public static partial void PolicyExpired(ILogger logger, TimeSpan keepFor);
}
