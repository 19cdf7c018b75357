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
        // A refused request of 4 records (one bad type): all 4 count as rejected, none as accepted.
        var refused = JsonNode.Parse(Api.ArrayJson(Enumerable.Range(0, 4).Select(_ => Records.Call())))!.AsArray();
        refused[2]!["latency_ms"] = "slow";
        using var response = await client.PostAsync("v1/calls", Api.Json(refused.ToJsonString()));
        await Api.ProblemAsync(response, HttpStatusCode.BadRequest);

        var metrics = await host.Client(CollectorHost.ReadKey).GetStringAsync("metrics");

        Assert.Equal(3, Sample(metrics, "accepted"));
        Assert.Equal(1, Sample(metrics, "duplicate"));
        Assert.Equal(4, Sample(metrics, "rejected"));
    }

    private static double Sample(string metrics, string result)
    {
        var line = Assert.Single(
            metrics.Split('\n'),
            l => l.StartsWith("llmmeter_ingest_records_total{", StringComparison.Ordinal) && l.Contains($"result=\"{result}\"", StringComparison.Ordinal));
        return double.Parse(line[(line.IndexOf('}', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
