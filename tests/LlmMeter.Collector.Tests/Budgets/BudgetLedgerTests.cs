using System.Globalization;
using System.Net;
using Dapper;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Store.Sqlite;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using static LlmMeter.Collector.Tests.Api.Api;
using static LlmMeter.Collector.Tests.Budgets.BudgetCollector;

namespace LlmMeter.Collector.Tests.Budgets;

/// <summary>The spend ledger: charged at ingest by scope, once per record, moved by reconciliation, scanned once at definition.</summary>
public sealed class BudgetLedgerTests
{
    private static readonly DateTimeOffset s_now = Utc(2026, 11, 10, 12);
    private static readonly DateTimeOffset s_november = Utc(2026, 11, 1);

    // Each scope with the predicate the issue defines for it, to compute the expected spend independently.
    private static readonly (string Id, string Scope, Func<LlmCallRecord, bool> Matches)[] s_scopes =
    [
        ("all", "null", _ => true),
        ("by-app", """{"app":"search-api"}""", r => r.App == "search-api"),
        ("by-team", """{"team":"ads"}""", r => r.Tags.GetValueOrDefault("team") == "ads"),
        ("by-tag", """{"tag":"env=prod"}""", r => r.Tags.GetValueOrDefault("env") == "prod"),
        ("by-model", """{"model":"openai/*"}""", r => (r.ServedModel ?? r.RequestedModel)!.StartsWith("openai/", StringComparison.Ordinal)),
        ("by-provider", """{"provider":"openai"}""", r => string.Equals(r.Provider, "openai", StringComparison.OrdinalIgnoreCase)),
        ("combo", """{"app":"search-api","model":"anthropic/claude-3.?-sonnet","team":"ads"}""",
            r => r.App == "search-api" && r.Tags.GetValueOrDefault("team") == "ads" && (r.ServedModel ?? r.RequestedModel)!.StartsWith("anthropic/claude-3.", StringComparison.Ordinal)),
    ];

    [Fact]
    public async Task Ingest_RecordsOfManyScopes_EachBudgetIsTheSumOfItsMatchingCosts()
    {
        await using var collector = await StartAsync(s_now);
        foreach (var (id, scope, _) in s_scopes)
        {
            await collector.DefineAsync(Definition(id, scope: scope));
        }

        var records = MixedRecords();
        await collector.IngestAsync(records[..4]);
        await collector.IngestAsync(records[4..]);

        foreach (var (id, _, matches) in s_scopes)
        {
            var expected = records.Where(r => r.StartedAt >= s_november && matches(r)).Sum(r => r.CostUsd ?? 0m);
            Assert.True(expected > 0m, id);
            Assert.Equal(expected, await collector.SpentAsync(id));
            Assert.Equal((long)(expected * 10_000_000_000m), collector.LedgerUnits(id, s_november));
        }

        // The October record went to October's row, not November's.
        Assert.Equal(7_000_000_000L, collector.LedgerUnits("all", Utc(2026, 10, 1)));
    }

    [Fact]
    public async Task CreateBudget_AfterRecordsExist_ScansTheCurrentPeriodOnceLikeIngestCharges()
    {
        await using var collector = await StartAsync(s_now);
        var records = MixedRecords();
        await collector.IngestAsync(records);

        foreach (var (id, scope, matches) in s_scopes)
        {
            var budget = await collector.DefineAsync(Definition(id, scope: scope));
            var expected = records.Where(r => r.StartedAt >= s_november && matches(r)).Sum(r => r.CostUsd ?? 0m);
            Assert.Equal(expected, budget.GetProperty("status").GetProperty("spent_usd").GetDecimal());
        }

        // From then on only ingest moves it; a limit change keeps it, a scope change scans again.
        await collector.IngestAsync(Records.Call(startedAt: s_now.AddMinutes(-5), cost: 1m));
        var before = await collector.SpentAsync("by-app");
        await collector.DefineAsync(Definition("by-app", limit: 500m, scope: """{"app":"search-api"}"""));
        Assert.Equal(before, await collector.SpentAsync("by-app"));
        await collector.DefineAsync(Definition("by-app", scope: """{"app":"batch"}"""));
        Assert.Equal(records.Where(r => r.StartedAt >= s_november && r.App == "batch").Sum(r => r.CostUsd ?? 0m), await collector.SpentAsync("by-app"));
    }

    [Fact]
    public async Task StoreInsert_1000RecordsOfAMillionDollarsInOnePeriod_LedgerSpendAndPagesExact()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Definition("all"));
        var store = collector.Host.Services.GetRequiredService<ICallStore>();
        var records = Enumerable.Range(0, 1000)
            .Select(i => Records.Call(startedAt: s_now.AddMinutes(-i), cost: StoreLimits.MaxCostUsd) with { OutputTokens = i < 2 ? long.MaxValue : 300 })
            .ToArray();

        // Through the store, past ingest validation (which may cap a call lower): the store must be exact for whatever it
        // accepts. One request (the batch's charges pass 64 bits), then the same again (the SQL carry).
        await store.InsertAsync(records, CancellationToken.None);
        await store.InsertAsync([.. records.Select(r => r with { Id = r.Id + "-again", OutputTokens = 300 })], CancellationToken.None);

        Assert.Equal(2_000_000_000m, await collector.SpentAsync("all"));
        await collector.DefineAsync(Definition("scanned")); // the definition-time scan sums the same
        Assert.Equal(2_000_000_000m, await collector.SpentAsync("scanned"));
        await collector.RestartAsync(); // the ledger rows read back
        Assert.Equal(2_000_000_000m, await collector.SpentAsync("all"));
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = collector.Host.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            var (low, high) = connection.QuerySingle<(long, long)>(
                "SELECT spent_units, spent_units_high FROM budget_spend WHERE budget_id = 'all' AND typeof(spent_units) = 'integer' AND typeof(spent_units_high) = 'integer'");
            Assert.Equal(Int128.Parse("20000000000000000000", CultureInfo.InvariantCulture), WideSum.Combine(high, low));
        }

        // The API writes totals past 64 bits as exact JSON numbers; the status page renders them.
        var spend = await GetJsonAsync(collector.Admin, "v1/spend?from=2026-11-01&to=2026-12-01");
        Assert.Equal(2_000_000_000m, spend.GetProperty("total").GetProperty("cost_usd").GetDecimal());
        Assert.Equal("18446744073710151014", spend.GetProperty("total").GetProperty("output_tokens").GetRawText()); // 2 × (2^63 − 1) + 1998 × 300
        using var page = await collector.Admin.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("18,446,744,073,710,151,014", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_SameRecordsTwice_ChargesThemOnce()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Definition("all"));
        var records = new[] { Records.Call(startedAt: s_now.AddHours(-1), cost: 0.25m), Records.Call(startedAt: s_now.AddHours(-2), cost: 0.5m) };

        await collector.IngestAsync(records);
        var (accepted, duplicates) = await collector.IngestAsync([records[0], records[1], Records.Call(startedAt: s_now, cost: 1m)]);

        Assert.Equal((1, 2), (accepted, duplicates));
        Assert.Equal(1.75m, await collector.SpentAsync("all"));
    }

    [Fact]
    public async Task Reconcile_CostChanges_MovesTheLedgerByTheDifference()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Definition("all"));
        await collector.DefineAsync(Definition("other-app", scope: """{"app":"batch"}"""));
        var estimated = Records.Call(startedAt: s_now.AddMinutes(-10), cost: 0.001m) with { CostSource = LlmCostSource.Estimated };
        var unknown = Records.Call(startedAt: s_now.AddMinutes(-9), cost: null);
        await collector.IngestAsync(estimated, unknown);
        var store = collector.Host.Services.GetRequiredService<ICallStore>();

        await store.SetReconciledCostAsync(estimated.Id, 0.004m, CancellationToken.None);
        await store.SetReconciledCostAsync(unknown.Id, 0.02m, CancellationToken.None);

        Assert.Equal(0.024m, await collector.SpentAsync("all"));
        Assert.Equal(240_000_000L, collector.LedgerUnits("all", s_november));
        Assert.Equal(0m, await collector.SpentAsync("other-app"));
    }

    [Fact]
    public async Task Restart_AfterIngest_KeepsTheLedgerAndChargesOnlyNewRecords()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Definition("all"));
        var first = Records.Call(startedAt: s_now.AddHours(-3), cost: 2m);
        await collector.IngestAsync(first);

        await collector.RestartAsync();
        Assert.Equal(2m, await collector.SpentAsync("all"));
        await collector.IngestAsync(first, Records.Call(startedAt: s_now.AddHours(-2), cost: 0.5m));

        Assert.Equal(2.5m, await collector.SpentAsync("all"));
    }

    [Fact]
    public async Task DeleteBudget_ThenRecreate_StartsFromTheStoredCalls()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Definition("all"));
        await collector.IngestAsync(Records.Call(startedAt: s_now.AddHours(-3), cost: 2m));

        using (var deleted = await collector.Admin.DeleteAsync("v1/budgets/all"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.Null(collector.LedgerUnits("all", s_november));
        await collector.IngestAsync(Records.Call(startedAt: s_now.AddHours(-1), cost: 1m));
        await collector.DefineAsync(Definition("all"));

        Assert.Equal(3m, await collector.SpentAsync("all"));
    }

    [Fact]
    public async Task PutBudget_WhileRecordsStream_CountsEveryRecordExactlyOnce()
    {
        await using var collector = await StartAsync(s_now);
        var batches = Enumerable.Range(0, 16)
            .Select(b => Enumerable.Range(0, 40).Select(i => Records.Call(startedAt: s_now.AddMinutes(-(b * 40) - i), cost: 0.001m * (i + 1))).ToArray())
            .ToList();

        // The scan at definition time and the charges at ingest meet in the writer: whatever the interleaving,
        // each record is either in the scan or charged afterwards.
        var ingest = batches.Select(batch => Task.Run(() => collector.IngestAsync(batch))).ToList();
        await collector.DefineAsync(Definition("all"));
        await Task.WhenAll(ingest);

        Assert.Equal(batches.Sum(b => b.Sum(r => r.CostUsd!.Value)), await collector.SpentAsync("all"));
    }

    [Fact]
    public async Task ConfiguredBudget_ChangedOrRemovedBetweenRestarts_RescansOrDrops()
    {
        static string[] Configured(string app, int limit, string id = "cfg") =>
            [$"--Budgets:0:id={id}", "--Budgets:0:name=Configured", $"--Budgets:0:limit_usd={limit}", $"--Budgets:0:scope:app={app}"];
        await using var collector = await StartAsync(s_now, Configured("search-api", 10));
        await collector.IngestAsync(
            Records.Call(startedAt: s_now.AddHours(-1), app: "search-api", cost: 1m),
            Records.Call(startedAt: s_now.AddHours(-1), app: "batch", cost: 2m));
        Assert.Equal(1m, await collector.SpentAsync("cfg"));

        await collector.RestartAsync(Configured("search-api", 20)); // limit only: the ledger stays
        await collector.IngestAsync(Records.Call(startedAt: s_now.AddHours(-1), app: "search-api", cost: 0.5m));
        Assert.Equal(1.5m, await collector.SpentAsync("cfg"));

        await collector.RestartAsync(Configured("batch", 20)); // new scope: scanned once
        Assert.Equal(2m, await collector.SpentAsync("cfg"));

        await collector.RestartAsync(Configured("batch", 20, id: "other"));
        using var gone = await collector.Admin.GetAsync("v1/budgets/cfg");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Null(collector.LedgerUnits("cfg", s_november));
        Assert.Equal(2m, await collector.SpentAsync("other"));
    }

    /// <summary>Seven records of November across apps, teams, tags, models and providers, and one of October.</summary>
    private static LlmCallRecord[] MixedRecords()
    {
        static LlmCallRecord Call(string app, string team, string? env, string model, string? provider, decimal? cost, int day, string? served = null)
        {
            var tags = new Dictionary<string, string> { ["team"] = team };
            if (env is not null)
            {
                tags["env"] = env;
            }

            return Records.Call(startedAt: Utc(2026, 11, day, 9), app: app, model: model, servedModel: served, cost: cost) with { Tags = tags, Provider = provider };
        }

        return
        [
            Call("search-api", "search", "prod", "openai/gpt-4o-mini", "OpenAI", 0.0012m, 1),
            Call("search-api", "ads", "dev", "anthropic/claude-3.5-sonnet", "Anthropic", 0.02m, 2),
            Call("batch", "ads", "prod", "openai/gpt-4o", "openai", 0.5m, 3),
            Call("batch", "search", null, "anthropic/claude-3.7-sonnet", "Azure", 0.03m, 4, served: "openai/gpt-4o"),
            Call("search-api", "search", "prod", "meta/llama-3-70b", null, null, 5),
            Call("search-api", "ads", "prod", "anthropic/claude-3.7-sonnet", "Anthropic", 0.0000000001m, 6),
            Call("search-api", "ads", "prod", "openai/o3", "OpenAI", 3m, 9),
            Records.Call(startedAt: Utc(2026, 10, 20, 9), cost: 0.7m),
        ];
    }
}
