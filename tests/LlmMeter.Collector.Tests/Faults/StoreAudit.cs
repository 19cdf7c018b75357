using System.Globalization;
using System.Net;
using System.Text.Json;

namespace LlmMeter.Collector.Tests.Faults;

/// <summary>
/// Reads what a collector holds through its API and checks that the derived data agrees with the records: the spend
/// rollups (daily and hourly) and a budget's spend equal sums computed here from the stored records.
/// </summary>
internal static class StoreAudit
{
    /// <summary>Every stored record whose <c>started_at</c> is in [from, to), following the cursor; fails on an id listed twice.</summary>
    public static async Task<Dictionary<string, LlmCallRecord>> StoredAsync(HttpClient read, DateTimeOffset from, DateTimeOffset to)
    {
        var calls = await Api.Api.AllCallsAsync(read, $"from={Time(from)}&to={Time(to)}");
        var stored = new Dictionary<string, LlmCallRecord>(StringComparer.Ordinal);
        foreach (var call in calls)
        {
            var record = JsonSerializer.Deserialize(call.GetRawText(), LlmMeterJsonContext.Default.LlmCallRecord)!;
            Assert.True(stored.TryAdd(record.Id, record), $"Record {record.Id} is listed twice.");
        }

        return stored;
    }

    /// <summary>
    /// <c>/v1/spend</c> over [from, to) equals the sums of <paramref name="stored"/>: the total (whole days from the daily
    /// rollup, the edges from the hourly one), the total of <c>group_by=hour</c> (hourly rollup only) and each model's row.
    /// </summary>
    public static async Task AssertSpendMatchesAsync(HttpClient read, IReadOnlyCollection<LlmCallRecord> stored, DateTimeOffset from, DateTimeOffset to)
    {
        var range = $"from={Time(from)}&to={Time(to)}";
        var expected = Sums.Of(stored);
        var spend = await Api.Api.GetJsonAsync(read, $"v1/spend?{range}");
        Assert.Equal(expected, Sums.Of(spend.GetProperty("total")));
        var hourly = await Api.Api.GetJsonAsync(read, $"v1/spend?{range}&group_by=hour");
        Assert.Equal(expected, Sums.Of(hourly.GetProperty("total")));

        var byModel = await Api.Api.GetJsonAsync(read, $"v1/spend?{range}&group_by=model");
        var rows = byModel.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("model").GetString()!, Sums.Of, StringComparer.Ordinal);
        var expectedRows = stored.GroupBy(r => r.ServedModel ?? r.RequestedModel!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => Sums.Of([.. g]), StringComparer.Ordinal);
        Assert.Equal(expectedRows.OrderBy(p => p.Key, StringComparer.Ordinal), rows.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    /// <summary>The budget's spend in its current period equals the cost of the stored records in its scope and period; returns that spend.</summary>
    public static async Task<decimal> AssertBudgetMatchesAsync(HttpClient admin, string budgetId, IEnumerable<LlmCallRecord> stored, Func<LlmCallRecord, bool> inScope)
    {
        var status = (await Api.Api.GetJsonAsync(admin, $"v1/budgets/{budgetId}")).GetProperty("status");
        var (start, end) = Period(status);
        var expected = stored.Where(r => inScope(r) && r.StartedAt >= start && r.StartedAt < end).Sum(r => r.CostUsd ?? 0m);
        var spent = status.GetProperty("spent_usd").GetDecimal();
        Assert.True(expected == spent, $"Budget {budgetId} has spent {spent} USD in [{start:O}, {end:O}); its stored records cost {expected} USD.");
        return spent;
    }

    /// <summary>The budget's current period as the collector reports it.</summary>
    public static async Task<(DateTimeOffset Start, DateTimeOffset End)> PeriodAsync(HttpClient admin, string budgetId)
    {
        using var response = await admin.GetAsync(new Uri($"v1/budgets/{budgetId}", UriKind.Relative));
        var budget = await Api.Api.ReadJsonAsync(response, HttpStatusCode.OK);
        return Period(budget.GetProperty("status"));
    }

    /// <summary>ISO 8601 UTC with milliseconds, safe in a query string.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static (DateTimeOffset Start, DateTimeOffset End) Period(JsonElement status) =>
        (DateTimeOffset.Parse(status.GetProperty("period_start").GetString()!, CultureInfo.InvariantCulture),
         DateTimeOffset.Parse(status.GetProperty("period_end").GetString()!, CultureInfo.InvariantCulture));

    /// <summary>The additive figures of a spend row.</summary>
    private readonly record struct Sums(decimal CostUsd, long Requests, long InputTokens, long OutputTokens, long CachedInputTokens, long ReasoningTokens, long Fallbacks, long Errors)
    {
        public static Sums Of(IReadOnlyCollection<LlmCallRecord> records) => new(
            records.Sum(r => r.CostUsd ?? 0m),
            records.Count,
            records.Sum(r => r.InputTokens ?? 0),
            records.Sum(r => r.OutputTokens ?? 0),
            records.Sum(r => r.CachedInputTokens ?? 0),
            records.Sum(r => r.ReasoningTokens ?? 0),
            records.Count(r => r.FallbackUsed),
            records.Count(r => r.Outcome != LlmCallOutcome.Success));

        public static Sums Of(JsonElement row) => new(
            row.GetProperty("cost_usd").GetDecimal(),
            row.GetProperty("requests").GetInt64(),
            row.GetProperty("input_tokens").GetInt64(),
            row.GetProperty("output_tokens").GetInt64(),
            row.GetProperty("cached_input_tokens").GetInt64(),
            row.GetProperty("reasoning_tokens").GetInt64(),
            row.GetProperty("fallbacks").GetInt64(),
            row.GetProperty("errors").GetInt64());
    }
}
