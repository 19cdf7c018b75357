using System.Globalization;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Faults;

/// <summary>One batch a client sent, and whether the collector acknowledged it (200 read to the end).</summary>
internal sealed class SentBatch(int cycle, IReadOnlyList<LlmCallRecord> records)
{
    private int _acknowledged;

    public int Cycle { get; } = cycle;

    public IReadOnlyList<LlmCallRecord> Records { get; } = records;

    public bool Acknowledged => Volatile.Read(ref _acknowledged) == 1;

    public void Acknowledge() => Volatile.Write(ref _acknowledged, 1);
}

/// <summary>
/// Valid, varied records for the crash test: several apps, teams, models and providers, costs with up to ten decimals
/// (some unknown), varied tokens, some errors and fallbacks; most in the budget's current period, some in the one before.
/// Every id is unique. One instance per client (not thread-safe), seeded so a run can be repeated.
/// </summary>
internal sealed class CrashTraffic(int seed, DateTimeOffset periodStart, DateTimeOffset now)
{
    public const string BudgetTeam = "search";

    public const string BudgetModelPrefix = "openai/";

    private static readonly string[] s_apps = ["search-api", "support-bot"];
    private static readonly string[] s_teams = [BudgetTeam, "ads", "support"];
    private static readonly (string Model, string Provider)[] s_models =
        [("openai/gpt-4o-mini", "OpenAI"), ("openai/gpt-4o", "Azure"), ("anthropic/claude-3.5-haiku", "Anthropic"), ("google/gemini-2.0-flash", "Google")];

    private readonly Random _random = new(seed);
    private int _batches;

    /// <summary>The budget the collector is started with: team <see cref="BudgetTeam"/>, OpenAI models, this month (UTC).</summary>
    public static string[] BudgetArgs(string id) =>
    [
        $"--Budgets:0:id={id}",
        "--Budgets:0:name=Crash test search",
        "--Budgets:0:period=month",
        "--Budgets:0:limit_usd=1000000",
        $"--Budgets:0:scope:team={BudgetTeam}",
        $"--Budgets:0:scope:model={BudgetModelPrefix}*",
    ];

    /// <summary>Whether a record counts in the budget (scope only; the period is checked against the budget's status).</summary>
    public static bool InBudgetScope(LlmCallRecord record) =>
        record.Tags.TryGetValue("team", out var team) && team == BudgetTeam
        && (record.ServedModel ?? record.RequestedModel ?? string.Empty).StartsWith(BudgetModelPrefix, StringComparison.Ordinal);

    public IReadOnlyList<LlmCallRecord> NextBatch(string prefix, int size)
    {
        var batch = _batches++;
        return [.. Enumerable.Range(0, size).Select(i => Next(string.Create(CultureInfo.InvariantCulture, $"{prefix}-b{batch:D3}-r{i:D3}")))];
    }

    private LlmCallRecord Next(string id)
    {
        var (model, provider) = s_models[_random.Next(s_models.Length)];
        var failed = _random.Next(10) == 0;
        var cost = _random.Next(12) == 0 ? (decimal?)null : _random.Next(1, 5_000_000) / 10_000_000_000m * _random.Next(1, 1000);
        return Records.Call(
            id: id,
            startedAt: StartedAt(),
            app: s_apps[_random.Next(s_apps.Length)],
            team: s_teams[_random.Next(s_teams.Length)],
            model: model,
            provider: provider,
            cost: failed ? null : cost,
            outcome: failed ? LlmCallOutcome.HttpError : LlmCallOutcome.Success,
            fallback: _random.Next(8) == 0) with
        {
            InputTokens = _random.Next(1, 20_000),
            CachedInputTokens = _random.Next(0, 500),
            OutputTokens = _random.Next(0, 4_000),
            ReasoningTokens = _random.Next(0, 300),
        };
    }

    // Nine in ten in the current period (within its last six hours up to now), the rest in the two days before it.
    private DateTimeOffset StartedAt()
    {
        if (_random.Next(10) == 0)
        {
            return periodStart.AddMilliseconds(-_random.NextInt64(1, (long)TimeSpan.FromDays(2).TotalMilliseconds));
        }

        var window = (long)Math.Min((now - periodStart).TotalMilliseconds, TimeSpan.FromHours(6).TotalMilliseconds);
        return now.AddMilliseconds(-_random.NextInt64(0, Math.Max(1, window)));
    }
}
