using System.Text.Json;
using LlmMeter.Collector.Demo;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Tests.Demo;

public sealed class DemoModeTests
{
    /// <summary>What the demo's records show so far (its ToString is the failure message of a timed-out wait).</summary>
    private sealed record Seen(int Calls, int Fallbacks, int StreamsWithTtft, int RateLimited, int Upstream, int StreamErrors, int Downgrades, int Blocked, int FreeAfterBlock, int Unlabelled)
    {
        public static Seen Of(JsonElement[] calls) => new(
            calls.Length,
            calls.Count(c => Bool(c, "fallback_used") && Text(c, "served_model") != Text(c, "requested_model")),
            calls.Count(c => Bool(c, "stream") && Text(c, "outcome") == "success" && c.TryGetProperty("ttft_ms", out var t) && t.GetDouble() > 0),
            calls.Count(c => Text(c, "error_type") == "rate_limited" && Number(c, "status_code") == 429),
            calls.Count(c => Text(c, "error_type") == "upstream_unavailable" && Number(c, "status_code") == 502),
            calls.Count(c => Text(c, "outcome") == "stream_error"),
            calls.Count(c => Routing(c) == "downgrade" && Text(c, "outcome") == "success"),
            calls.Count(c => Text(c, "outcome") == "blocked" && Routing(c) == "block"),
            FreeAfter(calls, calls.Where(c => Text(c, "outcome") == "blocked").Select(c => Text(c, "started_at")!).Min(StringComparer.Ordinal)),
            calls.Count(c => !c.GetProperty("tags").TryGetProperty("simulated", out var s) || s.GetString() != "true"));

        public bool Everything =>
            Fallbacks > 0 && StreamsWithTtft > 0 && RateLimited > 0 && Upstream > 0 && StreamErrors > 0 && Downgrades > 0 && Blocked > 0 && FreeAfterBlock > 0;

        // Free models pass a blocked budget: free calls that succeeded after the first blocked call (ISO times sort as text).
        private static int FreeAfter(JsonElement[] calls, string? firstBlocked) => firstBlocked is null ? 0 : calls.Count(c =>
            Text(c, "requested_model") == "meta-llama/llama-3.3-70b-instruct:free"
            && Text(c, "outcome") == "success"
            && string.CompareOrdinal(Text(c, "started_at"), firstBlocked) > 0);

        private static string? Text(JsonElement call, string name) => call.TryGetProperty(name, out var value) ? value.GetString() : null;

        private static bool Bool(JsonElement call, string name) => call.TryGetProperty(name, out var value) && value.GetBoolean();

        private static int? Number(JsonElement call, string name) => call.TryGetProperty(name, out var value) ? value.GetInt32() : null;

        private static string? Routing(JsonElement call) =>
            call.TryGetProperty("routing", out var routing) ? routing.GetProperty("action").GetString() : null;
    }

    [Fact]
    public async Task Demo_Started_RecordsFallbacksStreamsErrorsDowngradesAndBlocks()
    {
        await using var demo = await DemoCollector.StartAsync();

        var seen = await WaitFor.ValueAsync(
            async () => Seen.Of(await CallsAsync(demo)),
            s => s.Everything,
            "fallbacks, streams with ttft, 429s, 502s, a stream error, downgrades, blocks and free calls after the block",
            TimeSpan.FromSeconds(30));

        Assert.Equal(0, seen.Unlabelled); // Every demo record says it is simulated.
        Assert.True(File.Exists(demo.DatabasePath), "--Store:SqlitePath wins over the demo's default file.");
        var fallback = (await CallsAsync(demo)).First(c => c.GetProperty("fallback_used").GetBoolean());
        Assert.Contains(fallback.GetProperty("served_model").GetString(), fallback.GetProperty("fallback_models").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task Demo_Started_BudgetCrossesEveryThresholdAndTheAlertsAreDelivered()
    {
        await using var demo = await DemoCollector.StartAsync();
        var budget = demo.Demo.SearchBudgetId;

        // The demo creates its budgets once the collector listens: 404 until then.
        var status = await WaitFor.ValueAsync(
            async () =>
            {
                using var response = await demo.Http.GetAsync(new Uri("v1/budgets/" + budget, UriKind.Relative));
                return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : $"HTTP {(int)response.StatusCode}";
            },
            text => text.Contains("\"threshold_reached\":100", StringComparison.Ordinal),
            $"budget {budget} to reach 100 %",
            TimeSpan.FromSeconds(30));
        using var document = JsonDocument.Parse(status);
        Assert.Equal("block", document.RootElement.GetProperty("status").GetProperty("active_action").GetString());

        // Each threshold reaches the demo's signed webhook receiver once, through the collector's outbox.
        var thresholds = await WaitFor.ValueAsync(
            () => Task.FromResult(demo.Demo.Simulator.Alerts.Recent
                .Where(a => a.Type == "threshold_crossed" && a.Budget == "Search team, daily (demo)")
                .Select(a => a.ThresholdPercent).Order().ToArray()),
            t => t.Length >= 3,
            "threshold alerts at 50, 80 and 100 %",
            TimeSpan.FromSeconds(15));
        Assert.Equal([50d, 80d, 100d], thresholds);
        // The delivery log says so too (the exhausted event follows the 100 % crossing by a moment).
        await WaitFor.ValueAsync(
            async () => (await Api.Api.GetJsonAsync(demo.Http, "v1/alerts/deliveries?status=delivered")).GetProperty("deliveries").EnumerateArray()
                .Count(d => d.GetProperty("budget_id").GetString() == budget && d.GetProperty("event_type").GetString() == "budget_exhausted"),
            delivered => delivered == 1,
            "the budget_exhausted alert delivered once",
            TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Demo_StatusPage_ShowsTheSimulatorBanner()
    {
        await using var demo = await DemoCollector.StartAsync();
        await demo.CallsWhenAsync(calls => calls.Length > 0, "the first demo call");

        var html = await demo.Http.GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.Contains("Demo: traffic from a built-in OpenRouter simulator", html, StringComparison.Ordinal);
        Assert.Contains("id=\"demo-banner\"", html, StringComparison.Ordinal);
        Assert.Contains("demo-shop", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_DemoWithoutStorePath_UsesTheDemoDatabase()
    {
        await using var app = CollectorApp.Create(["--demo", "--urls", "http://127.0.0.1:0"]);
        // Resolved so that disposing the app stops the simulator it started.
        var runtime = app.Services.GetRequiredService<DemoRuntime>();

        var store = app.Services.GetRequiredService<IOptions<CollectorOptions>>().Value.Store;

        Assert.Equal(DemoMode.DefaultSqlitePath, store.SqlitePath);
        Assert.Equal(3, runtime.Options.CallsPerSecond);
    }

    [Fact]
    public async Task Create_WithoutDemo_KeepsTheRealDatabaseAndNoSimulator()
    {
        await using var app = CollectorApp.Create(["--urls", "http://127.0.0.1:0"]);

        Assert.Equal("./data/llmmeter.db", app.Services.GetRequiredService<IOptions<CollectorOptions>>().Value.Store.SqlitePath);
        Assert.Null(app.Services.GetService<DemoRuntime>());
    }

    [Theory]
    [InlineData("--Demo:CallsPerSecond=fast", "Demo:CallsPerSecond")]
    [InlineData("--Demo:BudgetUsd=0", "Demo:BudgetUsd")]
    [InlineData("--Demo:LatencyScale=-1", "Demo:LatencyScale")]
    [InlineData("--Demo:Enabled=maybe", "Demo:Enabled")]
    public void Create_BadDemoSetting_StopsNamingIt(string setting, string name)
    {
        var folder = CollectorHost.NewFolder();
        string[] args = setting.StartsWith("--Demo:Enabled", StringComparison.Ordinal)
            ? [setting, $"--Store:SqlitePath={Path.Combine(folder, "x.db")}"]
            : ["--demo", setting, $"--Store:SqlitePath={Path.Combine(folder, "x.db")}"];

        var error = Assert.Throws<InvalidOperationException>(() => CollectorApp.Create(args));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    private static async Task<JsonElement[]> CallsAsync(DemoCollector demo) =>
        (await Api.Api.GetJsonAsync(demo.Http, "v1/calls?app=demo-shop&limit=1000")).GetProperty("calls").EnumerateArray().ToArray();
}
