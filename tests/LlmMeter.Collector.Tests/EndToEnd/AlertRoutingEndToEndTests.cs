using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Policy;

namespace LlmMeter.Collector.Tests.EndToEnd;

/// <summary>
/// Alertmanager -> collector -> policy -> handler -> OpenRouter, with every piece real except OpenRouter (WireMock):
/// a firing alert changes what OpenRouter receives, its resolution restores it.
/// </summary>
public sealed class AlertRoutingEndToEndTests
{
    private static readonly string[] s_args = [$"--Receivers:AlertmanagerToken={PolicyApi.AlertmanagerToken}"];

    [Fact]
    public async Task AlertmanagerDowngrade_FiringThenResolved_OpenRouterGetsCheaperModelThenOriginal()
    {
        await using var collector = await CollectorHost.StartAsync(s_args);
        using var openRouter = new OpenRouterStub();
        await using var app = new MeteredApp(collector, openRouter);
        using var alertmanager = collector.Client(null);

        // SpendBurnDowngrade scopes app search-api, team search, model openai/gpt-4o -> openai/gpt-4o-mini.
        await PolicyApi.ReceiptAsync(alertmanager, PolicyApi.Alertmanager(AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade()), PolicyApi.AlertmanagerToken));
        Assert.True(await app.Policy.RefreshAsync());
        var (status, answer) = await app.ChatAsync("openai/gpt-4o");

        Assert.Equal(200, status);
        Assert.Equal(["openai/gpt-4o-mini"], openRouter.Models);
        var record = await app.StoredCallAsync(answer.GetProperty("id").GetString()!);
        Assert.Equal("openai/gpt-4o-mini", record.GetProperty("requested_model").GetString());
        var routing = record.GetProperty("routing");
        Assert.Equal("alertmanager:5f0c2a9e1b7d3c44", routing.GetProperty("rule_id").GetString());
        Assert.Equal("downgrade", routing.GetProperty("action").GetString());
        Assert.Equal("openai/gpt-4o", routing.GetProperty("original_model").GetString());

        await PolicyApi.ReceiptAsync(alertmanager, PolicyApi.Alertmanager(AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade(firing: false)), PolicyApi.AlertmanagerToken));
        Assert.True(await app.Policy.RefreshAsync());
        var (after, afterAnswer) = await app.ChatAsync("openai/gpt-4o");

        Assert.Equal(200, after);
        Assert.Equal(["openai/gpt-4o-mini", "openai/gpt-4o"], openRouter.Models);
        Assert.Equal("""{"model":"openai/gpt-4o","messages":[{"role":"user","content":"Say hi."}]}""", openRouter.Bodies[1]);
        var unchanged = await app.StoredCallAsync(afterAnswer.GetProperty("id").GetString()!);
        Assert.False(unchanged.TryGetProperty("routing", out _));
    }

    [Fact]
    public async Task AlertmanagerBlock_Firing_Handler402WithoutCallingOpenRouter()
    {
        await using var collector = await CollectorHost.StartAsync(s_args);
        using var openRouter = new OpenRouterStub();
        await using var app = new MeteredApp(collector, openRouter);
        var block = AlertSamples.Labelled("b10c0000000000aa", true, ("alertname", "SearchHardStop"), ("app", MeteredApp.App), ("llmmeter_action", "block"));

        await PolicyApi.ReceiptAsync(collector.Client(null), PolicyApi.Alertmanager(AlertSamples.Alertmanager(block), PolicyApi.AlertmanagerToken));
        Assert.True(await app.Policy.RefreshAsync());
        var (status, body) = await app.ChatAsync("openai/gpt-4o");

        Assert.Equal(402, status);
        Assert.Empty(openRouter.Server.LogEntries);
        Assert.Empty(openRouter.Bodies);
        var error = body.GetProperty("error");
        Assert.Equal(402, error.GetProperty("code").GetInt32());
        Assert.Contains("SearchHardStop", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("alertmanager:b10c0000000000aa", error.GetProperty("metadata").GetProperty("rule_id").GetString());
        var record = Assert.Single(await app.StoredCallsAsync("blocked", 1));
        Assert.Equal(402, record.GetProperty("status_code").GetInt32());
        Assert.Equal("block", record.GetProperty("routing").GetProperty("action").GetString());
        Assert.Equal("openai/gpt-4o", record.GetProperty("routing").GetProperty("original_model").GetString());
    }

    [Fact]
    public async Task AlertmanagerBlock_FreeModel_StillReachesOpenRouter()
    {
        await using var collector = await CollectorHost.StartAsync(s_args);
        using var openRouter = new OpenRouterStub();
        await using var app = new MeteredApp(collector, openRouter);
        var block = AlertSamples.Labelled("b10c0000000000bb", true, ("alertname", "SearchHardStop"), ("app", MeteredApp.App), ("llmmeter_action", "block"));
        await PolicyApi.ReceiptAsync(collector.Client(null), PolicyApi.Alertmanager(AlertSamples.Alertmanager(block), PolicyApi.AlertmanagerToken));
        Assert.True(await app.Policy.RefreshAsync());

        var (status, _) = await app.ChatAsync("meta-llama/llama-3.3-70b-instruct:free");

        Assert.Equal(200, status);
        Assert.Equal(["meta-llama/llama-3.3-70b-instruct:free"], openRouter.Models);
        var record = Assert.Single(await app.StoredCallsAsync("success", 1));
        Assert.False(record.TryGetProperty("routing", out _));
    }
}
