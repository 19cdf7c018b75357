using System.Net;
using System.Text.Json;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Tests.Alerts;

/// <summary><c>GET /v1/alerts/deliveries</c> and the <c>Alerts</c> settings.</summary>
public sealed class AlertDeliveriesEndpointTests
{
    [Fact]
    public async Task Deliveries_NewestFirst_WithEveryFieldAndNoCredentials()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Script("/hook", new HookReply(400, "bad"));
        var url = new UriBuilder(receiver.Url()) { UserName = "user", Password = "hunter2", Query = "token=querysecret" }.Uri.AbsoluteUri;
        await using var collector = await AlertCollector.StartAsync([$"--Alerts:Webhooks:0:Url={url}"]);
        await collector.EnqueueAsync(AlertEvents.Threshold(DateTimeOffset.UtcNow, threshold: 50));
        await collector.WaitForAsync(d => d.Status() == "failed", "the first delivery to fail");
        await collector.EnqueueAsync(AlertEvents.Threshold(DateTimeOffset.UtcNow, threshold: 80, budgetId: "chat-daily"));

        var rows = await collector.WaitForAsync(d => d.Status() != "pending", "the second delivery", expected: 2);

        Assert.Equal(["delivered", "failed"], rows.Select(r => r.Status()));
        var newest = rows[0];
        Assert.Equal("chat-daily", newest.GetProperty("budget_id").GetString());
        Assert.Equal("threshold_crossed", newest.GetProperty("event_type").GetString());
        Assert.Equal(receiver.Url() + "?***", newest.GetProperty("endpoint_url").GetString());
        Assert.Equal(0, newest.GetProperty("endpoint_index").GetInt32());
        Assert.Equal("json", newest.GetProperty("format").GetString());
        Assert.Equal(1, newest.Attempts());
        Assert.Equal(200, newest.LastStatusCode());
        Assert.EndsWith("Z", newest.GetProperty("created_at").GetString(), StringComparison.Ordinal);
        Assert.True(newest.TryGetProperty("delivered_at", out _));
        Assert.True(newest.TryGetProperty("last_attempt_at", out _));
        Assert.Equal(400, rows[1].LastStatusCode());
        Assert.Equal("HTTP 400 Bad Request: bad", rows[1].LastError());
        Assert.Equal(receiver.Requests[0].Header("X-LlmMeter-Event-Id"), rows[1].EventId());
        var raw = JsonSerializer.Serialize(rows);
        Assert.DoesNotContain("hunter2", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("querysecret", raw, StringComparison.Ordinal);

        Assert.Equal(["failed"], (await collector.DeliveriesAsync("?status=failed")).Select(r => r.Status()));
        Assert.Equal(["chat-daily"], (await collector.DeliveriesAsync("?limit=1")).Select(r => r.GetProperty("budget_id").GetString()));
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=1001", "limit")]
    [InlineData("?limit=abc", "limit")]
    [InlineData("?status=sent", "status")]
    public async Task Deliveries_BadParameter_ProblemNamingIt(string query, string parameter)
    {
        await using var collector = await AlertCollector.StartAsync([]);
        using var client = collector.Host.Client();

        using var response = await client.GetAsync("v1/alerts/deliveries" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(parameter, problem.RootElement.GetProperty("parameter").GetString());
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData(CollectorHost.ReadKey, HttpStatusCode.Forbidden)]
    [InlineData(CollectorHost.IngestKey, HttpStatusCode.Forbidden)]
    [InlineData(CollectorHost.AdminKey, HttpStatusCode.OK)]
    public async Task Deliveries_Key_OnlyAdminAllowed(string? key, HttpStatusCode expected)
    {
        await using var collector = await AlertCollector.StartAsync([]);
        using var client = collector.Host.Client(key);

        using var response = await client.GetAsync("v1/alerts/deliveries");

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("--Alerts:Webhooks:0:Url=ftp://example.com/hook", "Alerts:Webhooks:0:Url")]
    [InlineData("--Alerts:Webhooks:0:Url=not a url", "Alerts:Webhooks:0:Url")]
    [InlineData("--Alerts:Webhooks:0:Format=teams", "Alerts:Webhooks:0:Format")]
    [InlineData("--Alerts:Webhooks:0:Events:0=threshold_reached", "Alerts:Webhooks:0:Events")]
    [InlineData("--Alerts:Webhooks:0:Secret=short", "Alerts:Webhooks:0:Secret")]
    [InlineData("--Alerts:MaxDeliveryAge=00:00:00", "Alerts:MaxDeliveryAge")]
    [InlineData("--Alerts:MaxBackoff=00:00:01", "Alerts:MaxBackoff")]
    public async Task Start_BadAlertSetting_StopsNamingTheSetting(string setting, string name)
    {
        var folder = CollectorHost.NewFolder();
        string[] valid = setting.Contains(":Url=", StringComparison.Ordinal) ? [] : ["--Alerts:Webhooks:0:Url=https://hooks.example.com/a"];

        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var host = await CollectorHost.StartAsync(folder, [.. valid, setting], null);
        });

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Validate_SameUrlTwice_NamesBoth()
    {
        var options = new CollectorOptions();
        options.Alerts.Webhooks.Add(new() { Url = "https://hooks.example.com/a" });
        options.Alerts.Webhooks.Add(new() { Url = "https://hooks.example.com/a" });

        var result = new CollectorOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Alerts:Webhooks:1:Url is the same endpoint as Alerts:Webhooks:0:Url", result.FailureMessage, StringComparison.Ordinal);
    }
}
