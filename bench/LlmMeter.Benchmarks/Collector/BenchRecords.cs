namespace LlmMeter.Benchmarks.Collector;

/// <summary>Realistic, varied records: 20 models, 10 teams, 5 apps, 8 providers, spread over 30 days.</summary>
internal static class BenchRecords
{
    public static readonly DateTimeOffset PeriodEnd = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset PeriodStart = PeriodEnd.AddDays(-30);

    private static readonly string[] s_models = Enumerable.Range(0, 20).Select(i => $"vendor{i % 6}/model-{i}").ToArray();
    private static readonly string[] s_teams = Enumerable.Range(0, 10).Select(i => $"team-{i}").ToArray();
    private static readonly string[] s_apps = Enumerable.Range(0, 5).Select(i => $"app-{i}").ToArray();
    private static readonly string[] s_providers = ["OpenAI", "Anthropic", "Google", "Together", "Fireworks", "DeepInfra", "Groq", "Mistral"];

    /// <param name="runId">Makes ids unique per run.</param>
    /// <param name="n">The record's number.</param>
    /// <param name="arrivalOrder">
    /// Start times in the order records arrive (2 ms apart), as a live ingest sees them; otherwise scattered over
    /// the 30 days, as the spend benchmark needs.
    /// </param>
    public static LlmCallRecord Create(string runId, long n, bool arrivalOrder = false)
    {
        var span = (PeriodEnd - PeriodStart).TotalMilliseconds;
        var model = s_models[n % s_models.Length];
        var failed = n % 50 == 0;
        return new LlmCallRecord
        {
            Id = $"gen-{runId}-{n}",
            StartedAt = arrivalOrder ? PeriodEnd.AddMilliseconds(2 * n) : PeriodStart.AddMilliseconds((long)(n * 7919 % (long)span)),
            App = s_apps[n % s_apps.Length],
            Tags = new Dictionary<string, string> { ["team"] = s_teams[n / 3 % s_teams.Length], ["feature"] = "summarize" },
            Endpoint = LlmEndpoints.ChatCompletions,
            RequestedModel = model,
            ServedModel = n % 40 == 0 ? s_models[(n + 1) % s_models.Length] : model,
            FallbackUsed = n % 40 == 0,
            Provider = s_providers[n % s_providers.Length],
            Stream = n % 2 == 0,
            StatusCode = failed ? 429 : 200,
            Outcome = failed ? LlmCallOutcome.HttpError : LlmCallOutcome.Success,
            ErrorType = failed ? LlmErrorType.RateLimited : null,
            FinishReason = failed ? null : "stop",
            HeadersMs = 120.5,
            TtftMs = n % 2 == 0 ? 310.25 : null,
            LatencyMs = 900 + (n % 1000),
            InputTokens = failed ? null : 1000 + (n % 500),
            CachedInputTokens = failed ? null : n % 200,
            OutputTokens = failed ? null : 200 + (n % 300),
            ReasoningTokens = failed ? null : n % 30,
            CostUsd = failed ? null : 0.0001m + ((n % 100) * 0.00001m),
            CostSource = failed ? LlmCostSource.None : LlmCostSource.Reported,
        };
    }
}
