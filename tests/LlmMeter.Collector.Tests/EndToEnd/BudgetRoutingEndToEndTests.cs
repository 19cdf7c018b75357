using System.Net;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using LlmMeter.Collector.Tests.Policy;

namespace LlmMeter.Collector.Tests.EndToEnd;

/// <summary>
/// handler -> exporter -> collector (ledger, budget state) -> <c>GET /v1/policy</c> -> handler: the spend of real
/// calls crosses a budget's thresholds and the next calls are downgraded, then blocked; free models still pass.
/// </summary>
public sealed class BudgetRoutingEndToEndTests
{
    private const string Budget = """
        {"id":"search-monthly","name":"Search monthly","scope":{"app":"search-api","team":"search"},
         "period":"month","limit_usd":1,
         "thresholds":[{"percent":50,"action":"downgrade","model_map":{"openai/gpt-4o":"openai/gpt-4o-mini"}},{"percent":100,"action":"block"}]}
        """;

    [Fact]
    public async Task Budget_SpendCrosses50Then100Percent_DowngradedThenBlockedFreeModelsPass()
    {
        await using var collector = await CollectorHost.StartAsync();
        using var openRouter = new OpenRouterStub { CostUsd = 0.30m };
        await using var app = new MeteredApp(collector, openRouter);
        using (var created = await collector.Client().PostAsync("v1/budgets", Api.Api.Json(Budget)))
        {
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        // $0.60 of $1 spent: the 50% threshold is reached at the collector.
        await CallAndRefreshAsync(app, collector, "openai/gpt-4o", expectedSpent: 0.30m);
        await CallAndRefreshAsync(app, collector, "openai/gpt-4o", expectedSpent: 0.60m);
        Assert.Equal(["openai/gpt-4o", "openai/gpt-4o"], openRouter.Models);

        var downgraded = await CallAndRefreshAsync(app, collector, "openai/gpt-4o", expectedSpent: 0.90m);

        Assert.Equal("openai/gpt-4o-mini", openRouter.Models[2]);
        var routing = downgraded.GetProperty("routing");
        Assert.Equal("search-monthly@50", routing.GetProperty("rule_id").GetString());
        Assert.Equal("downgrade", routing.GetProperty("action").GetString());
        Assert.Equal("openai/gpt-4o", routing.GetProperty("original_model").GetString());

        // Another process that made none of these calls learns the spend from the collector alone.
        await using (var other = new MeteredApp(collector, openRouter))
        {
            Assert.True(await other.Policy.RefreshAsync());
            Assert.Equal(200, (await other.ChatAsync("openai/gpt-4o")).Status);
            Assert.Equal("openai/gpt-4o-mini", openRouter.Models[3]);
        }

        await WaitForSpentAsync(collector, 1.20m);
        Assert.True(await app.Policy.RefreshAsync());
        var sent = openRouter.Bodies.Count;
        var (status, body) = await app.ChatAsync("openai/gpt-4o");

        Assert.Equal(402, status);
        Assert.Equal(sent, openRouter.Bodies.Count);
        Assert.StartsWith("LlmMeter budget 'Search monthly'", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("search-monthly", body.GetProperty("error").GetProperty("metadata").GetProperty("budget_id").GetString());

        var (free, _) = await app.ChatAsync("meta-llama/llama-3.3-70b-instruct:free");
        Assert.Equal(200, free);
        Assert.Equal("meta-llama/llama-3.3-70b-instruct:free", openRouter.Models[^1]);
    }

    // One call, then wait until the collector's policy counts it, then poll: the next call sees the new spend.
    private static async Task<System.Text.Json.JsonElement> CallAndRefreshAsync(MeteredApp app, CollectorHost collector, string model, decimal expectedSpent)
    {
        var (status, answer) = await app.ChatAsync(model);
        Assert.Equal((int)HttpStatusCode.OK, status);
        var record = await app.StoredCallAsync(answer.GetProperty("id").GetString()!);
        await WaitForSpentAsync(collector, expectedSpent);
        Assert.True(await app.Policy.RefreshAsync());
        return record;
    }

    private static Task WaitForSpentAsync(CollectorHost collector, decimal spent) =>
        WaitFor.ValueAsync(
            async () => (await PolicyApi.PolicyAsync(collector)).Policy.Budgets.SingleOrDefault()?.SpentUsd,
            value => value == spent,
            $"the policy's budget to show ${spent} spent");
}
