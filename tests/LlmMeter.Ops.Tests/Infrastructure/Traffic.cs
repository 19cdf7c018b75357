using System.Globalization;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>
/// Records as the handler would ship them, started now (so they count in the budgets' current periods), covering
/// every metric the dashboards read: two apps and teams, successes and errors, a fallback, streamed calls with a
/// time to first token, cached and reasoning tokens.
/// </summary>
internal static class Traffic
{
    public const string SearchApp = "search-api";
    public const string DemoApp = "demo-chat";

    private static int s_next;

    /// <summary>
    /// One batch: search-api 10 successes at 0.02 USD, 3 HTTP errors, one fallback (claude-3.5-sonnet served by
    /// gpt-4o) at 0.02 USD; demo-chat 3 streamed gpt-4o calls at 0.5 USD. Per batch: search-api 0.22 USD, demo-chat 1.5 USD.
    /// </summary>
    public static IReadOnlyList<LlmCallRecord> Batch(DateTimeOffset now)
    {
        var records = new List<LlmCallRecord>();
        for (var i = 0; i < 10; i++)
        {
            records.Add(Call(now, SearchApp, "search", "openai/gpt-4o", 0.02m, LlmCallOutcome.Success));
        }

        for (var i = 0; i < 3; i++)
        {
            records.Add(Call(now, SearchApp, "search", "openai/gpt-4o", null, LlmCallOutcome.HttpError));
        }

        records.Add(Call(now, SearchApp, "search", "anthropic/claude-3.5-sonnet", 0.02m, LlmCallOutcome.Success) with
        {
            ServedModel = "openai/gpt-4o",
            FallbackModels = ["anthropic/claude-3.5-sonnet", "openai/gpt-4o"],
            FallbackUsed = true,
            FallbackIndex = 1,
        });
        for (var i = 0; i < 3; i++)
        {
            records.Add(Call(now, DemoApp, "demo", "openai/gpt-4o", 0.5m, LlmCallOutcome.Success) with { Stream = true, TtftMs = 240 + (i * 30) });
        }

        return records;
    }

    public static LlmCallRecord Call(DateTimeOffset now, string app, string team, string model, decimal? cost, LlmCallOutcome outcome) => new()
    {
        Id = string.Create(CultureInfo.InvariantCulture, $"gen-ops-{Interlocked.Increment(ref s_next)}-{Guid.NewGuid():N}"),
        StartedAt = now.AddMilliseconds(-500),
        App = app,
        Tags = new Dictionary<string, string> { ["team"] = team },
        Endpoint = LlmEndpoints.ChatCompletions,
        RequestedModel = model,
        ServedModel = outcome == LlmCallOutcome.Success ? model : null,
        Provider = outcome == LlmCallOutcome.Success ? "OpenAI" : null,
        StatusCode = outcome == LlmCallOutcome.Success ? 200 : 503,
        Outcome = outcome,
        ErrorType = outcome == LlmCallOutcome.Success ? null : LlmErrorType.NoProvider,
        FinishReason = outcome == LlmCallOutcome.Success ? "stop" : null,
        HeadersMs = 150,
        LatencyMs = outcome == LlmCallOutcome.Success ? 900 : 300,
        InputTokens = outcome == LlmCallOutcome.Success ? 1200 : null,
        CachedInputTokens = outcome == LlmCallOutcome.Success ? 200 : null,
        OutputTokens = outcome == LlmCallOutcome.Success ? 300 : null,
        ReasoningTokens = outcome == LlmCallOutcome.Success ? 40 : null,
        CostUsd = cost,
        CostSource = cost is null ? LlmCostSource.None : LlmCostSource.Reported,
    };
}
