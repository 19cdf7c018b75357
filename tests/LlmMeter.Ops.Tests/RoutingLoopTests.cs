using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Ops.Tests.Infrastructure;

namespace LlmMeter.Ops.Tests;

/// <summary>
/// The whole loop on real processes: calls through the handler spend a budget, Prometheus (shipped rules) fires the
/// routing alert, Alertmanager (shipped config) delivers it to the collector, the policy changes and the handler's
/// next call reaches OpenRouter with the cheaper model; raising the budget resolves the alert and restores the model.
/// </summary>
public sealed class RoutingLoopTests
{
    private const string Expensive = "openai/gpt-4o";
    private const string Cheaper = "openai/gpt-4o-mini";
    private const string Alert = "LlmMeterDemoBudgetDowngrade";

    [Fact]
    public async Task DemoBudgetHalfSpent_AlertFiresThenResolves_HandlerDowngradesThenRestoresTheModel()
    {
        await using var ops = await OpsStack.StartAsync();
        using var openRouter = new OpenRouterStub(new Dictionary<string, decimal> { [Expensive] = 1m, [Cheaper] = 0.01m });
        await using var app = new MeteredApp(ops.Collector, openRouter, Traffic.DemoApp);
        await ops.CreateBudgetAsync(Budgets.DemoDaily(limitUsd: 5m));

        // 3 USD of 5: less than half left, which the shipped rule downgrades (the budget itself only alerts).
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, await app.ChatAsync(Expensive));
        }

        Assert.Equal([Expensive, Expensive, Expensive], openRouter.Models);
        var applied = await WaitForOverrideAsync(ops, present: true);
        Assert.StartsWith("alertmanager:", applied.Text("id"), StringComparison.Ordinal);
        Assert.Equal("downgrade", applied.Text("action"));
        Assert.Equal(Cheaper, applied.Text("downgrade_to"));
        Assert.Equal(Traffic.DemoApp, applied.GetProperty("scope").Text("app"));

        Assert.True(await app.Policy.RefreshAsync());
        Assert.Equal(200, await app.ChatAsync(Expensive));
        Assert.Equal(Cheaper, openRouter.Models[^1]);

        // The budget is raised: Prometheus resolves the alert, Alertmanager sends the resolution, the override goes.
        await RaiseBudgetAsync(ops, limitUsd: 100m);
        await WaitForOverrideAsync(ops, present: false);

        Assert.True(await app.Policy.RefreshAsync());
        Assert.Equal(200, await app.ChatAsync(Expensive));
        Assert.Equal([Expensive, Expensive, Expensive, Cheaper, Expensive], openRouter.Models);
    }

    private static async Task<JsonElement> WaitForOverrideAsync(OpsStack ops, bool present)
    {
        var overrides = await WaitFor.ValueAsync(
            async () => (await ops.OverridesAsync()).Items("overrides").Where(o => o.Text("name") == Alert).ToList(),
            found => found.Count == (present ? 1 : 0),
            present ? $"Alertmanager to deliver {Alert} to the collector" : $"Alertmanager to deliver the resolution of {Alert}",
            diagnostics: ops.DiagnosticsAsync);
        return present ? overrides[0] : default;
    }

    private static async Task RaiseBudgetAsync(OpsStack ops, decimal limitUsd)
    {
        using var client = ops.Collector.Client();
        using var content = new StringContent(Budgets.DemoDaily(limitUsd), Encoding.UTF8, "application/json");
        using var response = await client.PutAsync(new Uri("v1/budgets/demo-daily", UriKind.Relative), content);
        Assert.True(response.IsSuccessStatusCode, $"PUT /v1/budgets/demo-daily answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var budget = await client.GetFromJsonAsync<JsonElement>(new Uri("v1/budgets/demo-daily", UriKind.Relative));
        Assert.Equal(limitUsd.ToString(CultureInfo.InvariantCulture), budget.GetProperty("limit_usd").GetDecimal().ToString(CultureInfo.InvariantCulture));
    }
}
