using System.Text;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>The metric families a real collector exposes at <c>/metrics</c> once it has budgets and traffic.</summary>
internal static class ExposedMetrics
{
    /// <summary>
    /// A budget with routing thresholds whose spend is projected to run out (so the forecast and routing gauges are
    /// exported), a batch of <see cref="Traffic"/>, then a scrape: every <c># TYPE</c> family and sample name, as families.
    /// </summary>
    public static async Task<IReadOnlySet<string>> CollectAsync()
    {
        await using var collector = await CollectorHost.StartAsync();
        using (var admin = collector.Client())
        using (var budget = new StringContent(Budgets.SearchMonthly, Encoding.UTF8, "application/json"))
        using (var created = await admin.PostAsync(new Uri("v1/budgets", UriKind.Relative), budget))
        {
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        using (var ingest = collector.Client(CollectorHost.IngestKey))
        using (var records = new StringContent("[" + string.Join(',', Traffic.Batch(TimeProvider.System.GetUtcNow()).Select(LlmMeterJson.Serialize)) + "]", Encoding.UTF8, "application/json"))
        using (var posted = await ingest.PostAsync(new Uri("v1/calls", UriKind.Relative), records))
        {
            Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());
        }

        using var scraper = collector.Client(CollectorHost.ReadKey);
        var text = await scraper.GetStringAsync(new Uri("metrics", UriKind.Relative));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            var name = line.StartsWith("# TYPE ", StringComparison.Ordinal) ? line.Split(' ')[2]
                : line.StartsWith('#') ? null
                : line.Split('{', ' ')[0];
            if (name is not null)
            {
                names.Add(PromQl.Family(name));
            }
        }

        return names;
    }
}

/// <summary>Budgets the tests create through <c>POST /v1/budgets</c>.</summary>
internal static class Budgets
{
    /// <summary>0.5 USD a month for search-api, downgrading gpt-4o at 50 % and blocking at 100 %: two batches of <see cref="Traffic"/> spend 88 %.</summary>
    public const string SearchMonthly = """
        {"id":"search-monthly","name":"Search monthly","scope":{"app":"search-api"},"period":"month","limit_usd":0.5,
         "thresholds":[{"percent":50,"action":"downgrade","model_map":{"openai/gpt-4o":"openai/gpt-4o-mini"}},{"percent":100,"action":"block"}]}
        """;

    /// <summary>
    /// The budget prometheus/rules/llmmeter-routing.yml acts on (id demo-daily, app demo-chat, 5 USD), alerting only,
    /// so any routing comes from the alert. Monthly here, so a test running at midnight UTC stays in one period.
    /// </summary>
    public static string DemoDaily(decimal limitUsd = 5m) => $$"""
        {"id":"demo-daily","name":"Demo chat","scope":{"app":"demo-chat"},"period":"month","limit_usd":{{limitUsd.ToString(System.Globalization.CultureInfo.InvariantCulture)}},
         "thresholds":[{"percent":50,"action":"alert"}]}
        """;
}
