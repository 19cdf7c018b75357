using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Api;

public sealed class IngestMetricsTests
{
    [Fact]
    public async Task Post_AcceptedDuplicateAndRefused_CountedInIngestRecordsMetric()
    {
        await using var host = await CollectorHost.StartAsync();
        using var client = host.Client(CollectorHost.IngestKey);
        var first = Records.Call();
        Assert.Equal((2, 0), await Api.IngestAsync(client, [first, Records.Call()]));
        Assert.Equal((1, 1), await Api.IngestAsync(client, [first, Records.Call()]));
        // 4 records, one with a bad type: 3 accepted, 1 rejected (by its field).
        var partly = JsonNode.Parse(Api.ArrayJson(Enumerable.Range(0, 4).Select(_ => Records.Call())))!.AsArray();
        partly[2]!["latency_ms"] = "slow";
        using (var response = await client.PostAsync("v1/calls", Api.Json(partly.ToJsonString())))
        {
            Assert.Equal(3, (await Api.ReadJsonAsync(response, HttpStatusCode.OK)).GetProperty("accepted").GetInt32());
        }

        // A body that cannot be read as a whole (content after the array): both its records count as rejected.
        using (var refused = await client.PostAsync("v1/calls", Api.Json(Api.ArrayJson([Records.Call(), Records.Call()]) + " x")))
        {
            await Api.ProblemAsync(refused, HttpStatusCode.BadRequest);
        }

        var metrics = await host.Client(CollectorHost.ReadKey).GetStringAsync("metrics");

        Assert.Equal(6, Sample(metrics, "accepted"));
        Assert.Equal(1, Sample(metrics, "duplicate"));
        Assert.Equal(3, Sample(metrics, "rejected"));
        var scrape = Metrics.PrometheusText.Parse(metrics);
        Assert.Equal(1, scrape.Value("llmmeter_ingest_rejections_total", ("field", "latency_ms")));
        Assert.Equal(2, scrape.Value("llmmeter_ingest_rejections_total", ("field", "body")));
        Assert.Equal(2, scrape.Named("llmmeter_ingest_rejections_total").Count());
    }

    private static double Sample(string metrics, string result)
    {
        var line = Assert.Single(
            metrics.Split('\n'),
            l => l.StartsWith("llmmeter_ingest_records_total{", StringComparison.Ordinal) && l.Contains($"result=\"{result}\"", StringComparison.Ordinal));
        return double.Parse(line[(line.IndexOf('}', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
