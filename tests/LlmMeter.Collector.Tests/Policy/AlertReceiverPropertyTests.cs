using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using LlmMeter.Collector.Tests.Hosting;
using LlmMeter.Collector.Tests.Infrastructure;
using Xunit.Abstractions;
using static LlmMeter.Collector.Tests.Hosting.GeneratedBodies;

namespace LlmMeter.Collector.Tests.Policy;

/// <summary>
/// Generated notifications for <c>POST /v1/alerts/alertmanager</c> and <c>/v1/alerts/grafana</c>, 10,000 each, against
/// one real collector (token and HMAC secret configured; every body correctly authenticated): never a 5xx, every 4xx is
/// ProblemDetails; a refused notification changes no override, and the overrides set before the run stay as they were.
/// </summary>
public sealed class AlertReceiverPropertyTests(ITestOutputHelper output)
{
    public const int Requests = 10_000;

    private static readonly Gen<byte[]> s_labels = Gen.OneOf(
        Json(
            "{\"alertname\":\"Spend\",\"llmmeter_action\":\"block\",\"app\":\"gen-app\"}",
            "{\"alertname\":\"Burn\",\"llmmeter_action\":\"downgrade\",\"llmmeter_downgrade_to\":\"openai/gpt-4o-mini\",\"model\":\"openai/gpt-4o\"}",
            "{\"alertname\":\"Free\",\"llmmeter_action\":\"route_free\",\"llmmeter_free_model\":\"x:free\",\"team\":\"t\"}",
            "{\"alertname\":\"Disk\",\"severity\":\"page\"}",
            "{\"llmmeter_action\":\"explode\",\"app\":\"a\"}"),
        Object(("alertname", Json("\"Gen\"")), ("llmmeter_action", Json("\"block\"", "\"downgrade\"")), ("app", Json("\"gen-app\"")), ("llmmeter_downgrade_to", Json("\"m\""))));

    private static readonly Gen<byte[]> s_alert = Object(
        ("status", Json("\"firing\"", "\"resolved\"", "\"FIRING\"")),
        ("labels", s_labels),
        ("fingerprint", Json("\"gen-1\"", "\"gen-2\"", "\"gen-3\"", "\"not a fingerprint!\"")),
        ("annotations", Json("{\"summary\":\"s\"}")));

    private static readonly Gen<byte[]> s_notification = Object(
        ("version", Json("\"4\"", "\"1\"")),
        ("status", Json("\"firing\"", "\"resolved\"")),
        ("receiver", Json("\"llmmeter\"")),
        ("alerts", Gen.OneOf(
            s_alert.Select(a => (byte[])[(byte)'[', .. a, (byte)']']),
            Gen.Select(s_alert, s_alert, (a, b) => (byte[])[(byte)'[', .. a, (byte)',', .. b, (byte)']']),
            Json("[]"))));

    [Fact]
    public Task Alertmanager_GeneratedNotifications_Never5xxAndRefusedOnesChangeNothing() => RunAsync("alertmanager");

    [Fact]
    public Task Grafana_GeneratedNotifications_Never5xxAndRefusedOnesChangeNothing() => RunAsync("grafana");

    private async Task RunAsync(string receiver)
    {
        await using var collector = await TempCollector.StartAsync(
            [$"--Receivers:AlertmanagerToken={PolicyApi.AlertmanagerToken}", $"--Receivers:GrafanaSecret={PolicyApi.GrafanaSecret}"]);
        var host = collector.Host;
        using var client = host.Client(null);
        // Overrides set before the run, by labels no generated alert carries: they must come through untouched.
        using (var seed = PolicyApi.Alertmanager(AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade(), AlertSamples.Labelled("seed-block", true, ("alertname", "Seed"), ("llmmeter_action", "block"), ("app", "seed-app"))), PolicyApi.AlertmanagerToken))
        {
            var receipt = await PolicyApi.ReceiptAsync(client, seed);
            Assert.Equal(2, receipt.GetProperty("applied").GetArrayLength());
        }

        var before = await OverridesAsync(host);
        var current = before;
        var statuses = new Dictionary<int, int>();

        await Body(s_notification).SampleAsync(
            async body =>
            {
                using var request = Request(receiver, body);
                using var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;

                Assert.True(status < 500, $"{receiver} answered {status}: {text}");
                var now = await OverridesAsync(host);
                if (status >= 400)
                {
                    Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{status} is not ProblemDetails: {text}");
                    var problem = JsonNode.Parse(text)!.AsObject();
                    Assert.Equal(status, problem["status"]!.GetValue<int>());
                    Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()), text);
                    Assert.True(!problem.ContainsKey("field") || problem["field"]!.GetValue<string>().Length > 0, text);
                    // A refused notification changes nothing.
                    AssertSame(current, now, $"after a {status}");
                }

                current = now;
            },
            iter: Requests,
            threads: 1);

        // The overrides set before are still there, unchanged: no generated alert carries their labels.
        var after = await OverridesAsync(host);
        AssertSame(before, after.Where(o => before.ContainsKey(o.Key)).ToDictionary(), "seeded overrides");
        var answers = string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));
        output.WriteLine($"{receiver}: {Requests} notifications; answers {answers}; {after.Count} overrides at the end");
        Assert.True(statuses.GetValueOrDefault(200) > 0 && statuses.GetValueOrDefault(400) > 0, answers);
    }

    private static void AssertSame(Dictionary<string, JsonNode> expected, Dictionary<string, JsonNode> actual, string when)
    {
        Assert.True(
            expected.Count == actual.Count && expected.All(e => actual.TryGetValue(e.Key, out var a) && JsonNode.DeepEquals(e.Value, a)),
            $"Overrides changed {when}: expected {string.Join(", ", expected.Keys)}; found {string.Join(", ", actual.Keys)}");
    }

    private static HttpRequestMessage Request(string receiver, GeneratedBody body)
    {
        HttpContent content = body.Chunked ? new StreamContent(new MemoryStreamWithoutLength(body.Bytes)) : new ByteArrayContent(body.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/alerts/" + receiver) { Content = content };
        if (receiver == "grafana")
        {
            request.Headers.Add("X-Grafana-Alerting-Signature", Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(PolicyApi.GrafanaSecret), body.Bytes)));
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", PolicyApi.AlertmanagerToken);
        }

        return request;
    }

    private static async Task<Dictionary<string, JsonNode>> OverridesAsync(CollectorHost host)
    {
        var list = await PolicyApi.OverridesAsync(host);
        return list.ToDictionary(o => o.GetProperty("id").GetString()!, o => JsonNode.Parse(o.GetRawText())!, StringComparer.Ordinal);
    }

    private sealed class MemoryStreamWithoutLength(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
