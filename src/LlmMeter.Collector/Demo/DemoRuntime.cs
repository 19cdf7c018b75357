using System.Text.Json;
using static LlmMeter.Collector.Demo.SimulatedModels;

namespace LlmMeter.Collector.Demo;

/// <summary>
/// The running demo: its settings, the simulator, and this run's id. Records carry <c>demo_run=&lt;id&gt;</c> and the
/// demo budgets are scoped to it, so each run starts them from zero (a rerun on the same day would otherwise begin
/// blocked); the budgets of earlier runs are deleted at start.
/// </summary>
internal sealed class DemoRuntime : IAsyncDisposable
{
    public const string BudgetPrefix = "demo.";
    public const string RunTag = "demo_run";

    private long _callsMade;

    public DemoRuntime(DemoOptions options, OpenRouterSimulator simulator, string runId)
    {
        Options = options;
        Simulator = simulator;
        RunId = runId;
    }

    public DemoOptions Options { get; }

    public OpenRouterSimulator Simulator { get; }

    public string RunId { get; }

    /// <summary>The daily budget on the search team: alert at 50 %, downgrade at 80 %, block at 100 %.</summary>
    public string SearchBudgetId => $"{BudgetPrefix}{RunId}.search-daily";

    /// <summary>An alert-only monthly budget on the whole demo app (shows a forecast).</summary>
    public string ShopBudgetId => $"{BudgetPrefix}{RunId}.shop-monthly";

    /// <summary>Calls the demo application has started.</summary>
    public long CallsMade => Interlocked.Read(ref _callsMade);

    public void CallStarted() => Interlocked.Increment(ref _callsMade);

    /// <summary>The demo budgets in the <c>POST /v1/budgets</c> shape.</summary>
    public IEnumerable<(string Id, byte[] Json)> Budgets()
    {
        var tag = $"{RunTag}={RunId}";
        yield return (SearchBudgetId, Budget(SearchBudgetId, "Search team, daily (demo)", Options.App, DemoScenarios.BudgetTeam, tag, "day", Options.BudgetUsd, json =>
        {
            Threshold(json, 50, "alert");
            Threshold(json, 80, "downgrade", map: [(Sonnet, Haiku), (Gpt4o, Gpt4oMini)]);
            Threshold(json, 100, "block");
        }));
        yield return (ShopBudgetId, Budget(ShopBudgetId, "Demo shop, monthly (demo)", Options.App, team: null, tag, "month", Options.BudgetUsd * 25, json =>
        {
            Threshold(json, 50, "alert");
            Threshold(json, 90, "alert");
        }));
    }

    public ValueTask DisposeAsync() => Simulator.DisposeAsync();

    private static byte[] Budget(string id, string name, string app, string? team, string tag, string period, decimal limit, Action<Utf8JsonWriter> thresholds)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("name", name);
            json.WriteStartObject("scope");
            json.WriteString("app", app);
            if (team is not null)
            {
                json.WriteString("team", team);
            }

            json.WriteString("tag", tag);
            json.WriteEndObject();
            json.WriteString("period", period);
            json.WriteString("timezone", "UTC");
            json.WriteNumber("limit_usd", decimal.Round(limit, 4));
            json.WriteStartArray("thresholds");
            thresholds(json);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void Threshold(Utf8JsonWriter json, int percent, string action, (string From, string To)[]? map = null)
    {
        json.WriteStartObject();
        json.WriteNumber("percent", percent);
        json.WriteString("action", action);
        if (map is not null)
        {
            json.WriteStartObject("model_map");
            foreach (var (from, to) in map)
            {
                json.WriteString(from, to);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    /// <summary>A short run id: six hex digits.</summary>
    public static string NewRunId() => Guid.NewGuid().ToString("N")[..6];
}
