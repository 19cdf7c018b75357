using System.Globalization;
using System.Net;
using System.Text;
using LlmMeter.Collector.Metrics;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LlmMeter.Collector.Tests.Metrics;

/// <summary>The Prometheus text a real collector exposes at /metrics after records were counted.</summary>
public sealed class CollectorMetricsTests
{
    private const string Requests = "llmmeter_requests_total";
    private const string Spend = "llmmeter_spend_usd_total";
    private const string Tokens = "llmmeter_tokens_total";
    private const string Duration = "llmmeter_request_duration_seconds";
    private const string Ttft = "llmmeter_time_to_first_token_seconds";
    private const string Fallbacks = "llmmeter_fallbacks_total";
    private const string IngestRecords = "llmmeter_ingest_records_total";

    private static readonly string[] s_buckets = ["0.01", "0.02", "0.04", "0.08", "0.16", "0.32", "0.64", "1.28", "2.56", "5.12", "10.24", "20.48", "40.96", "81.92", "+Inf"];

    [Fact]
    public async Task OnIngested_AcceptedRecords_ExposesEveryMetricWithItsLabelsAndValues()
    {
        await using var host = await CollectorHost.StartAsync();
        var metrics = host.Services.GetRequiredService<CollectorMetrics>();
        var plain = Records.Call();
        var fallback = Records.Call(model: "anthropic/claude-3.5-sonnet", servedModel: "openai/gpt-4o", cost: 0.01m, fallback: true);
        var noTeam = Records.Call(cost: null, outcome: LlmCallOutcome.HttpError) with { Tags = new Dictionary<string, string>(), TtftMs = null };

        metrics.OnIngested(new IngestResult([plain, fallback, noTeam], Duplicates: 0));
        var scrape = await PrometheusText.ScrapeAsync(host);

        (string, string) app = ("app", "search-api"), team = ("team", "search"), mini = ("model", "openai/gpt-4o-mini"), openAi = ("provider", "OpenAI");
        Assert.Equal(1, scrape.Value(Requests, app, team, mini, openAi, ("outcome", "success"), ("fallback", "false")));
        Assert.Equal(1, scrape.Value(Requests, app, team, ("model", "openai/gpt-4o"), openAi, ("outcome", "success"), ("fallback", "true")));
        Assert.Equal(1, scrape.Value(Requests, app, ("team", CollectorMetrics.NoTeam), mini, openAi, ("outcome", "http_error"), ("fallback", "false")));
        Assert.Equal(3, scrape.Named(Requests).Count());

        Assert.Equal(0.0012, scrape.Value(Spend, app, team, mini, openAi), 9);
        Assert.Equal(0.01, scrape.Value(Spend, app, team, ("model", "openai/gpt-4o"), openAi), 9);
        Assert.Null(scrape.ValueOrNull(Spend, ("team", CollectorMetrics.NoTeam)));

        Assert.Equal(1200, scrape.Value(Tokens, app, team, mini, ("type", "input")));
        Assert.Equal(200, scrape.Value(Tokens, app, team, mini, ("type", "cached_input")));
        Assert.Equal(300, scrape.Value(Tokens, app, team, mini, ("type", "output")));
        Assert.Equal(50, scrape.Value(Tokens, app, team, mini, ("type", "reasoning")));
        Assert.Equal(1200, scrape.Value(Tokens, app, ("team", CollectorMetrics.NoTeam), mini, ("type", "input")));

        // Duration: plain and noTeam (950.75 ms each) share {app, model}; the fallback call is under its served model.
        Assert.Equal(2, scrape.Value(Duration + "_count", app, mini));
        Assert.Equal(1.9015, scrape.Value(Duration + "_sum", app, mini), 9);
        Assert.Equal(0, scrape.Value(Duration + "_bucket", app, mini, ("le", "0.64")));
        Assert.Equal(2, scrape.Value(Duration + "_bucket", app, mini, ("le", "1.28")));
        Assert.Equal(s_buckets, scrape.Named(Duration + "_bucket").Where(s => s.Has(mini)).Select(s => s.Labels["le"]));
        Assert.Equal(1, scrape.Value(Duration + "_count", app, ("model", "openai/gpt-4o")));

        // Time to first token: only records that have one.
        Assert.Equal(1, scrape.Value(Ttft + "_count", app, mini));
        Assert.Equal(0.18025, scrape.Value(Ttft + "_sum", app, mini), 9);
        Assert.Equal(1, scrape.Value(Ttft + "_bucket", app, mini, ("le", "0.32")));
        Assert.Equal(s_buckets, scrape.Named(Ttft + "_bucket").Where(s => s.Has(mini)).Select(s => s.Labels["le"]));

        var fallbackSample = Assert.Single(scrape.Named(Fallbacks));
        Assert.True(fallbackSample.Has(app, ("requested_model", "anthropic/claude-3.5-sonnet"), ("served_model", "openai/gpt-4o")), fallbackSample.ToString());
        Assert.Equal(1, fallbackSample.Value);

        Assert.Equal(3, scrape.Value(IngestRecords, ("result", "accepted")));
        Assert.Equal(0, scrape.Value(IngestRecords, ("result", "duplicate")));
        Assert.Equal(0, scrape.Value(IngestRecords, ("result", "rejected")));

        AssertLabelNames(scrape, Requests, "app", "team", "model", "provider", "outcome", "fallback");
        AssertLabelNames(scrape, Spend, "app", "team", "model", "provider");
        AssertLabelNames(scrape, Tokens, "app", "team", "model", "type");
        AssertLabelNames(scrape, Duration + "_bucket", "app", "model", "le");
        AssertLabelNames(scrape, Duration + "_count", "app", "model");
        AssertLabelNames(scrape, Ttft + "_sum", "app", "model");
        AssertLabelNames(scrape, Fallbacks, "app", "requested_model", "served_model");
        AssertLabelNames(scrape, IngestRecords, "result");
        Assert.Contains("# TYPE llmmeter_requests_total counter", scrape.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE llmmeter_spend_usd_total counter", scrape.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE llmmeter_request_duration_seconds histogram", scrape.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE llmmeter_time_to_first_token_seconds histogram", scrape.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_BeforeAnyRecord_ExposesIngestCountersAtZero()
    {
        await using var host = await CollectorHost.StartAsync();

        var scrape = await PrometheusText.ScrapeAsync(host);

        Assert.Equal(0, scrape.Value(IngestRecords, ("result", "accepted")));
        Assert.Equal(0, scrape.Value(IngestRecords, ("result", "duplicate")));
        Assert.Equal(0, scrape.Value(IngestRecords, ("result", "rejected")));
        Assert.Empty(scrape.Named(Requests));
    }

    [Fact]
    public async Task OnIngested_Duplicates_CountOnlyAsDuplicateRecords()
    {
        await using var host = await CollectorHost.StartAsync();
        var metrics = host.Services.GetRequiredService<CollectorMetrics>();

        metrics.OnIngested(new IngestResult([], Duplicates: 4));
        var scrape = await PrometheusText.ScrapeAsync(host);

        Assert.Equal(4, scrape.Value(IngestRecords, ("result", "duplicate")));
        Assert.Equal(0, scrape.Value(IngestRecords, ("result", "accepted")));
        Assert.Empty(scrape.Named(Requests));
        Assert.Empty(scrape.Named(Spend));
        Assert.Empty(scrape.Named(Tokens));
    }

    [Fact]
    public async Task PostCalls_SameBatchTwice_CountsRecordsOnceAndTheRepeatAsDuplicates()
    {
        await using var host = await CollectorHost.StartAsync();
        using var client = host.Client(CollectorHost.IngestKey);
        var batch = "[" + string.Join(',', new[] { Records.Call(), Records.Call(cost: 0.002m) }.Select(LlmMeterJson.Serialize)) + "]";

        for (var i = 0; i < 2; i++)
        {
            using var content = new StringContent(batch, Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(new Uri("v1/calls", UriKind.Relative), content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var scrape = await PrometheusText.ScrapeAsync(host);
        Assert.Equal(2, scrape.Value(Requests, ("model", "openai/gpt-4o-mini"), ("outcome", "success")));
        Assert.Equal(0.0032, scrape.Value(Spend, ("model", "openai/gpt-4o-mini")), 9);
        Assert.Equal(2400, scrape.Value(Tokens, ("model", "openai/gpt-4o-mini"), ("type", "input")));
        Assert.Equal(2, scrape.Value(IngestRecords, ("result", "accepted")));
        Assert.Equal(2, scrape.Value(IngestRecords, ("result", "duplicate")));
    }

    [Fact]
    public async Task PostCalls_InvalidRecord_CountsRejectedByFieldAndNothingElse()
    {
        await using var host = await CollectorHost.StartAsync();
        using var client = host.Client(CollectorHost.IngestKey);
        var bad = LlmMeterJson.Serialize(Records.Call()).Replace("\"app\":\"search-api\",", string.Empty, StringComparison.Ordinal);

        using var content = new StringContent("[" + bad + "]", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri("v1/calls", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var scrape = await PrometheusText.ScrapeAsync(host);
        Assert.Equal(1, scrape.Value(IngestRecords, ("result", "rejected")));
        Assert.Equal(1, scrape.Value("llmmeter_ingest_rejections_total", ("field", "app")));
        Assert.Equal(0, scrape.Value(IngestRecords, ("result", "accepted")));
        Assert.Empty(scrape.Named(Requests));
    }

    [Fact]
    public async Task OnIngested_MoreDistinctValuesThanMaxLabelValues_ExportsTheRestAsOther()
    {
        await using var host = await CollectorHost.StartAsync("--Metrics:MaxLabelValues=2");
        var metrics = host.Services.GetRequiredService<CollectorMetrics>();
        var records = new[] { "a", "b", "c", "d", "a" }
            .Select((name, i) => Records.Call(app: "app-" + name, model: "vendor/model-" + name, team: "team-" + name, provider: "P" + i))
            .ToList();

        metrics.OnIngested(new IngestResult(records, Duplicates: 0));
        var scrape = await PrometheusText.ScrapeAsync(host);

        Assert.Equal(new[] { "app-a", "app-b", "other" }, scrape.Named(Requests).Select(s => s.Labels["app"]).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "other", "team-a", "team-b" }, scrape.Named(Tokens).Select(s => s.Labels["team"]).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "other", "vendor/model-a", "vendor/model-b" }, scrape.Named(Duration + "_count").Select(s => s.Labels["model"]).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "P0", "P1", "other" }, scrape.Named(Spend).Select(s => s.Labels["provider"]).Distinct().Order(StringComparer.Ordinal));
        // "a" came back after the limit was reached: still its own value.
        Assert.Equal(2, scrape.Value(Requests, ("app", "app-a"), ("team", "team-a"), ("provider", "P0")) + scrape.Value(Requests, ("app", "app-a"), ("provider", "other")));
        Assert.Equal(2, scrape.Named(Requests).Where(s => s.Has(("app", "other"))).Sum(s => s.Value));
    }

    [Fact]
    public async Task OnIngested_MegabyteLabelValuesStored_ScrapeStaysSmallWithCutValues()
    {
        // Validation refuses such records; this is the defence behind it (a record stored by an older collector).
        await using var host = await CollectorHost.StartAsync();
        var metrics = host.Services.GetRequiredService<CollectorMetrics>();
        var huge = new string('m', 1024 * 1024);
        var records = Enumerable.Range(0, 5)
            .Select(i => Records.Call(app: huge + i, model: huge + i, team: huge + i, provider: huge + i, servedModel: huge + "s" + i, fallback: true))
            .ToList();

        metrics.OnIngested(new IngestResult(records, Duplicates: 0));
        var scrape = await PrometheusText.ScrapeAsync(host);

        Assert.True(scrape.Text.Length < 200_000, $"scrape is {scrape.Text.Length} characters");
        var longest = scrape.Samples.SelectMany(s => s.Labels.Values).Max(v => v.Length);
        Assert.Equal(BoundedLabel.MaxLength, longest);
        Assert.Contains(scrape.Named(Requests), s => s.Labels["model"].EndsWith('\u2026'));
    }

    [Fact]
    public async Task OnCostReconciled_HigherOrLowerCost_AddsOnlyThePositiveDifference()
    {
        await using var host = await CollectorHost.StartAsync();
        var metrics = host.Services.GetRequiredService<CollectorMetrics>();
        var estimated = Records.Call(cost: 0.001m) with { CostSource = LlmCostSource.Estimated };
        var unknown = Records.Call(app: "batch-job", cost: null);
        metrics.OnIngested(new IngestResult([estimated, unknown], Duplicates: 0));

        metrics.OnCostReconciled(estimated, previousCost: 0.001m, reconciledCost: 0.0035m);
        metrics.OnCostReconciled(estimated, previousCost: 0.0035m, reconciledCost: 0.002m);
        metrics.OnCostReconciled(unknown, previousCost: null, reconciledCost: 0.004m);
        var scrape = await PrometheusText.ScrapeAsync(host);

        Assert.Equal(0.0035, scrape.Value(Spend, ("app", "search-api")), 9);
        Assert.Equal(0.004, scrape.Value(Spend, ("app", "batch-job"), ("team", "search"), ("model", "openai/gpt-4o-mini"), ("provider", "OpenAI")), 9);
        Assert.Equal(2, scrape.Named(Requests).Sum(s => s.Value));
    }

    [Fact]
    public async Task Scrape_AfterRecording_PassesPromtoolCheckMetrics()
    {
        await using var host = await CollectorHost.StartAsync();
        var metrics = host.Services.GetRequiredService<CollectorMetrics>();
        metrics.OnIngested(new IngestResult(
            [
                Records.Call(),
                Records.Call(model: "anthropic/claude-3.5-sonnet", servedModel: "openai/gpt-4o", fallback: true),
                Records.Call(outcome: LlmCallOutcome.HttpError, cost: null) with { Tags = new Dictionary<string, string>() },
                Records.Call(app: "quote \"and\" back\\slash") with { Provider = null, ServedModel = null, RequestedModel = null },
            ],
            Duplicates: 1));
        metrics.OnRejected(2);
        var scrape = await PrometheusText.ScrapeAsync(host);
        Assert.NotEmpty(scrape.Named(Requests));
        Assert.NotEmpty(scrape.Named(Fallbacks));

        var (exitCode, output) = await Promtool.CheckMetricsAsync(scrape.Text);

        Assert.True(exitCode == 0 && output.Length == 0, $"promtool check metrics exited {exitCode} with:\n{output}\n--- scraped text ---\n{scrape.Text}");
        Assert.Equal(1, scrape.Value(Requests, ("app", "quote \"and\" back\\slash"), ("model", CollectorMetrics.Unknown), ("provider", CollectorMetrics.Unknown)));
    }

    [Fact]
    public async Task Scrape_RightAfterRecording_SeesTheNewValue()
    {
        await using var host = await CollectorHost.StartAsync();
        var metrics = host.Services.GetRequiredService<CollectorMetrics>();

        metrics.OnIngested(new IngestResult([Records.Call()], 0));
        Assert.Equal(1, (await PrometheusText.ScrapeAsync(host)).Value(IngestRecords, ("result", "accepted")));
        metrics.OnIngested(new IngestResult([Records.Call()], 0));

        // No response cache: the very next scrape shows the second record.
        Assert.Equal(2, (await PrometheusText.ScrapeAsync(host)).Value(IngestRecords, ("result", "accepted")));
    }

    [Fact]
    public async Task TwoCollectors_InOneProcess_EachExportsOnlyItsOwnRecords()
    {
        await using var first = await CollectorHost.StartAsync();
        await using var second = await CollectorHost.StartAsync();

        first.Services.GetRequiredService<CollectorMetrics>().OnIngested(new IngestResult([Records.Call(app: "first-only")], 0));

        Assert.Equal(1, (await PrometheusText.ScrapeAsync(first)).Value(Requests, ("app", "first-only")));
        Assert.Empty((await PrometheusText.ScrapeAsync(second)).Named(Requests));
    }

    [Fact]
    public void Bound_ManyThreadsManyValues_KeepsExactlyMaxValuesAndMapsTheRestToOther()
    {
        var label = new BoundedLabel(50);
        var results = new System.Collections.Concurrent.ConcurrentBag<string>();

        Parallel.For(0, 2_000, i => results.Add(label.Bound("v" + (i % 500).ToString(CultureInfo.InvariantCulture))));

        var kept = results.Where(r => r != BoundedLabel.Other).Distinct().ToList();
        Assert.Equal(50, kept.Count);
        Assert.Contains(BoundedLabel.Other, results);
        // A kept value stays kept, a refused one stays refused.
        Assert.All(kept, v => Assert.Equal(v, label.Bound(v)));
        Assert.Equal(BoundedLabel.Other, label.Bound("v-new"));
    }

    private static void AssertLabelNames(PrometheusText scrape, string name, params string[] expected)
    {
        var samples = scrape.Named(name).ToList();
        Assert.True(samples.Count > 0, $"No {name} samples in:\n{scrape.Text}");
        Assert.All(samples, s => Assert.Equal(expected.Order(StringComparer.Ordinal), s.Labels.Keys.Order(StringComparer.Ordinal)));
    }
}
