namespace LlmMeter.Collector.Tests.Infrastructure;

/// <summary>Realistic records for ingest tests.</summary>
internal static class Records
{
    private static int s_next;

    public static LlmCallRecord Call(
        string? id = null,
        DateTimeOffset? startedAt = null,
        string app = "search-api",
        string team = "search",
        string model = "openai/gpt-4o-mini",
        string? servedModel = null,
        string provider = "OpenAI",
        decimal? cost = 0.0012m,
        LlmCallOutcome outcome = LlmCallOutcome.Success,
        bool fallback = false) => new()
        {
            Id = id ?? $"gen-test-{Interlocked.Increment(ref s_next)}-{Guid.NewGuid():N}",
            StartedAt = startedAt ?? new DateTimeOffset(2026, 11, 27, 10, 15, 0, TimeSpan.Zero),
            App = app,
            Tags = new Dictionary<string, string> { ["team"] = team, ["feature"] = "summarize" },
            Endpoint = LlmEndpoints.ChatCompletions,
            RequestedModel = model,
            ServedModel = servedModel ?? model,
            FallbackUsed = fallback,
            Provider = provider,
            StatusCode = outcome == LlmCallOutcome.Success ? 200 : 429,
            Outcome = outcome,
            ErrorType = outcome == LlmCallOutcome.Success ? null : LlmErrorType.RateLimited,
            FinishReason = outcome == LlmCallOutcome.Success ? "stop" : null,
            HeadersMs = 120.5,
            TtftMs = 180.25,
            LatencyMs = 950.75,
            InputTokens = 1200,
            CachedInputTokens = 200,
            OutputTokens = 300,
            ReasoningTokens = 50,
            CostUsd = cost,
            CostSource = cost is null ? LlmCostSource.None : LlmCostSource.Reported,
        };
}
