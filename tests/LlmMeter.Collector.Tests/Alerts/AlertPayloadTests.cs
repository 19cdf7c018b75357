using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LlmMeter.Collector.Alerts;
using LlmMeter.Collector.Budgets;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Collector.Tests.Alerts;

/// <summary>What receivers get: the signature, the JSON payload and the Slack message.</summary>
public sealed class AlertPayloadTests
{
    private const string Secret = "whsec_llmmeter_test_secret_0123";

    [Fact]
    public void Compute_FixedSecretTimestampAndBody_KnownHex()
    {
        var body = Encoding.UTF8.GetBytes("""{"id":"evt-1","type":"threshold_crossed"}""");
        // Computed outside .NET (Python hmac) and again here with HMACSHA256 directly.
        const string Expected = "68964ccd28067600e6d2bdbfdc053b5920b7cd715a6cf69f2d09865703aaf16d";
        var independent = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes("1764000000." + Encoding.UTF8.GetString(body))));

        Assert.Equal(Expected, independent);
        Assert.Equal(Expected, AlertSignature.Compute(Secret, 1764000000, body));
        Assert.Equal("t=1764000000,v1=" + Expected, AlertSignature.Header(Secret, 1764000000, body));
    }

    [Fact]
    public async Task Deliver_EndpointWithSecret_ReceiverVerifiesSignatureOverRawBody()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var collector = await AlertCollector.StartAsync(
        [
            $"--Alerts:Webhooks:0:Url={receiver.Url("/signed")}",
            $"--Alerts:Webhooks:0:Secret={Secret}",
            $"--Alerts:Webhooks:1:Url={receiver.Url("/unsigned")}",
        ]);

        await collector.EnqueueAsync(AlertEvents.Threshold(DateTimeOffset.UtcNow));
        await collector.WaitForAsync(d => d.Status() == "delivered", "both deliveries", expected: 2);

        var signed = receiver.RequestsTo("/signed").Single();
        Assert.True(Verify(signed.Header("X-LlmMeter-Signature"), signed.Body, Secret, DateTimeOffset.UtcNow));
        Assert.False(Verify(signed.Header("X-LlmMeter-Signature"), [.. signed.Body, (byte)' '], Secret, DateTimeOffset.UtcNow));
        Assert.False(Verify(signed.Header("X-LlmMeter-Signature"), signed.Body, Secret + "x", DateTimeOffset.UtcNow));
        var unsigned = receiver.RequestsTo("/unsigned").Single();
        Assert.Null(unsigned.Header("X-LlmMeter-Signature"));
        Assert.Equal(signed.Body, unsigned.Body);
        using var payload = JsonDocument.Parse(signed.Body);
        Assert.Equal(payload.RootElement.GetProperty("id").GetString(), signed.Header("X-LlmMeter-Event-Id"));
        Assert.Equal("threshold_crossed", signed.Header("X-LlmMeter-Event-Type"));
        Assert.StartsWith("application/json", signed.Header("Content-Type"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_JsonFormat_DocumentedPayload()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var at = new DateTimeOffset(2026, 11, 27, 10, 15, 0, 123, TimeSpan.Zero);
        await using var collector = await AlertCollector.StartAsync([$"--Alerts:Webhooks:0:Url={receiver.Url()}"], new FakeTimeProvider(at));
        var budgetEvent = AlertEvents.Threshold(at) with { Status = AlertEvents.Threshold(at).Status with { ForecastExhaustion = at.AddDays(2) } };

        await collector.EnqueueAsync(budgetEvent);
        var delivery = (await collector.WaitForAsync(d => d.Status() == "delivered", "the delivery")).Single();

        using var document = JsonDocument.Parse(receiver.Requests.Single().Body);
        var root = document.RootElement;
        Assert.Equal(delivery.EventId(), root.GetProperty("id").GetString());
        Assert.Equal("threshold_crossed", root.GetProperty("type").GetString());
        Assert.Equal("2026-11-27T10:15:00.123Z", root.GetProperty("occurred_at").GetString());
        Assert.Equal("search-monthly", root.GetProperty("budget").GetProperty("id").GetString());
        Assert.Equal("Search API monthly", root.GetProperty("budget").GetProperty("name").GetString());
        Assert.Equal("search-api", root.GetProperty("budget").GetProperty("scope").GetProperty("app").GetString());
        Assert.Equal("openai/*", root.GetProperty("budget").GetProperty("scope").GetProperty("model").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("budget").GetProperty("scope").GetProperty("team").ValueKind);
        Assert.Equal("2026-11-01T00:00:00.000Z", root.GetProperty("period").GetProperty("start").GetString());
        Assert.Equal("2026-12-01T00:00:00.000Z", root.GetProperty("period").GetProperty("end").GetString());
        Assert.Equal(100m, root.GetProperty("limit_usd").GetDecimal());
        Assert.Equal(80.25m, root.GetProperty("spent_usd").GetDecimal());
        Assert.Equal(80, root.GetProperty("threshold_percent").GetDouble());
        Assert.Equal("2026-11-29T10:15:00.123Z", root.GetProperty("forecast_exhaustion_at").GetString());
        Assert.Equal("downgrade", root.GetProperty("routing_action").GetString());
        Assert.Equal("llmmeter", root.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Deliver_SlackFormat_ReadableTextAndBlocks()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var collector = await AlertCollector.StartAsync(
            [$"--Alerts:Webhooks:0:Url={receiver.Url("/services/T000/B000/slacktoken123")}", "--Alerts:Webhooks:0:Format=slack"]);

        await collector.EnqueueAsync(AlertEvents.Threshold(DateTimeOffset.UtcNow, name: "R&D <search>", type: BudgetEventTypes.BudgetExhausted, threshold: 100, spent: 100.5m));
        var delivery = (await collector.WaitForAsync(d => d.Status() == "delivered", "the Slack delivery")).Single();

        using var document = JsonDocument.Parse(receiver.Requests.Single().Body);
        var root = document.RootElement;
        Assert.False(root.TryGetProperty("id", out _)); // not the JSON payload
        var text = root.GetProperty("text").GetString()!;
        Assert.Contains("*R&amp;D &lt;search&gt;* (`search-monthly`) is exhausted", text, StringComparison.Ordinal);
        Assert.Contains("$100.50 of $100.00 spent (100.5%)", text, StringComparison.Ordinal);
        Assert.Contains("2026-11-01 00:00 to 2026-12-01 00:00 UTC", text, StringComparison.Ordinal);
        Assert.Contains("Routing now in force: *downgrade*", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text);
        var blocks = root.GetProperty("blocks");
        Assert.Equal("section", blocks[0].GetProperty("type").GetString());
        Assert.Equal(text, blocks[0].GetProperty("text").GetProperty("text").GetString());
        Assert.Equal("context", blocks[1].GetProperty("type").GetString());
        Assert.Contains(delivery.EventId(), blocks[1].GetProperty("elements")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        // The Slack token is the last path segment: never shown in the delivery log.
        Assert.DoesNotContain("slacktoken123", delivery.GetProperty("endpoint_url").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(BudgetEventTypes.ThresholdCrossed, ":warning: LlmMeter budget *Search API monthly* (`search-monthly`) crossed 80% of its limit")]
    [InlineData(BudgetEventTypes.ForecastExhaustion, "is projected to run out at 2026-11-29 10:00 UTC, before its period ends")]
    [InlineData(BudgetEventTypes.RoutingChanged, "changed routing to *downgrade*")]
    public void Text_EachEventType_SaysWhatHappened(string type, string expected)
    {
        var at = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        var budgetEvent = AlertEvents.Threshold(at, type: type);
        budgetEvent = budgetEvent with { Status = budgetEvent.Status with { ForecastExhaustion = at.AddDays(2) } };

        using var payload = JsonDocument.Parse(WebhookPayload.Json("evt-1", budgetEvent));
        var text = SlackMessage.Text(payload.RootElement);

        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.Contains("$80.25 of $100.00 spent (80.3%) in the month from 2026-11-01 00:00 to 2026-12-01 00:00 UTC", text, StringComparison.Ordinal);
    }

    /// <summary>The receiver-side check from docs/alerts.md.</summary>
    private static bool Verify(string? header, byte[] body, string secret, DateTimeOffset now)
    {
        if (header is null)
        {
            return false;
        }

        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1)
            || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(now.ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        var signed = Encoding.UTF8.GetBytes(t + ".").Concat(body).ToArray();
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(v1));
    }
}
