using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Tests.Metrics;

namespace LlmMeter.Collector.Tests.Alerts;

/// <summary>The outbox and its worker against a real receiver: exactly once, retries, refusals, timeouts, restarts.</summary>
public sealed class AlertDeliveryTests
{
    private static readonly DateTimeOffset s_now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task EnqueueAsync_SameDedupeKeyTwice_OneDelivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var collector = await AlertCollector.StartAsync([$"--Alerts:Webhooks:0:Url={receiver.Url()}"]);

        var first = await collector.EnqueueAsync(AlertEvents.Threshold(s_now));
        var second = await collector.EnqueueAsync(AlertEvents.Threshold(s_now.AddSeconds(5), spent: 81m));

        Assert.True(first);
        Assert.False(second);
        var rows = await collector.WaitForAsync(d => d.Status() == "delivered", "the delivery");
        await DeliverAnotherAsync(collector, receiver, "/hook", rows.Length + 1);
        Assert.Equal(2, (await collector.DeliveriesAsync()).Length);
        Assert.Single(receiver.Requests, r => r.Header("X-LlmMeter-Event-Id") == rows[0].EventId());
    }

    [Fact]
    public async Task Deliver_ReceiverDownThenUp_DeliveredOnceWithAttemptsRecorded()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Script("/hook", new HookReply(503, "down for maintenance"), new HookReply(503));
        await using var collector = await AlertCollector.StartAsync([$"--Alerts:Webhooks:0:Url={receiver.Url()}", "--Alerts:InitialBackoff=00:00:00.05"]);

        await collector.EnqueueAsync(AlertEvents.Threshold(s_now));

        var delivery = (await collector.WaitForAsync(d => d.Status() == "delivered", "delivery after two 503s")).Single();
        Assert.Equal(3, delivery.Attempts());
        Assert.Equal(200, delivery.LastStatusCode());
        Assert.True(delivery.TryGetProperty("delivered_at", out _));
        Assert.Equal([503, 503, 200], receiver.Requests.Select(r => r.AnsweredStatus));
        // Another event goes through the same worker; the delivered one is not sent again meanwhile.
        await DeliverAnotherAsync(collector, receiver, "/hook", expectedRows: 2);
        Assert.Equal(3, receiver.Requests.Count(r => r.Header("X-LlmMeter-Event-Id") == delivery.EventId()));
    }

    [Fact]
    public async Task Deliver_BadRequest_FailedWithoutRetry()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Script("/hook", new HookReply(400, "invalid_payload"));
        await using var collector = await AlertCollector.StartAsync([$"--Alerts:Webhooks:0:Url={receiver.Url()}", "--Alerts:InitialBackoff=00:00:00.05"]);

        await collector.EnqueueAsync(AlertEvents.Threshold(s_now));

        var delivery = (await collector.WaitForAsync(d => d.Status() == "failed", "the refused delivery to fail")).Single();
        Assert.Equal(1, delivery.Attempts());
        Assert.Equal(400, delivery.LastStatusCode());
        Assert.Contains("invalid_payload", delivery.LastError(), StringComparison.Ordinal);
        Assert.False(delivery.TryGetProperty("next_attempt_at", out _));
        await DeliverAnotherAsync(collector, receiver, "/hook", expectedRows: 2);
        Assert.Single(receiver.Requests, r => r.Header("X-LlmMeter-Event-Id") == delivery.EventId());
    }

    [Fact]
    public async Task Deliver_Timeout_RetriedAfterBackoff()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Script("/hook", new HookReply(200, Delay: TimeSpan.FromSeconds(10)));
        var clock = AlertEvents.Clock();
        await using var collector = await AlertCollector.StartAsync(
            [$"--Alerts:Webhooks:0:Url={receiver.Url()}", "--Alerts:RequestTimeout=00:00:00.3"], clock);

        await collector.EnqueueAsync(AlertEvents.Threshold(clock.GetUtcNow()));

        var waiting = (await collector.WaitForAsync(d => d.Attempts() == 1, "the first attempt to time out")).Single();
        Assert.Equal("pending", waiting.Status());
        Assert.Contains("timeout", waiting.LastError(), StringComparison.Ordinal);
        Assert.False(waiting.TryGetProperty("last_status_code", out _));
        clock.Advance(TimeSpan.FromSeconds(10)); // past the 5 s (±20 %) first backoff
        var delivered = (await collector.WaitForAsync(d => d.Status() == "delivered", "the retry to deliver")).Single();
        Assert.Equal(2, delivered.Attempts());
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task Deliver_CollectorRestartedBeforeDelivery_DeliveredOnceAfterRestart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Otherwise = _ => new HookReply(503);
        // A long backoff: the first collector makes exactly one attempt before it is stopped.
        string[] args = [$"--Alerts:Webhooks:0:Url={receiver.Url()}", "--Alerts:InitialBackoff=01:00:00", "--Alerts:MaxBackoff=01:00:00"];
        await using var collector = await AlertCollector.StartAsync(args);
        var budgetEvent = AlertEvents.Threshold(s_now);
        Assert.True(await collector.EnqueueAsync(budgetEvent));
        var pending = (await collector.WaitForAsync(d => d.Attempts() == 1, "the first attempt (503)")).Single();
        Assert.Equal("pending", pending.Status());

        receiver.Otherwise = _ => HookReply.Ok;
        // The second collector's clock is past the backoff, so the stored row is due at once.
        var later = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(2));
        await collector.RestartAsync(args, later);

        Assert.False(await collector.EnqueueAsync(budgetEvent));
        var delivered = (await collector.WaitForAsync(d => d.Status() == "delivered", "the delivery after the restart")).Single();
        Assert.Equal(pending.EventId(), delivered.EventId());
        Assert.Equal(2, delivered.Attempts());
        Assert.Equal([503, 200], receiver.Requests.Select(r => r.AnsweredStatus));
        Assert.All(receiver.Requests, r => Assert.Equal(pending.EventId(), r.Header("X-LlmMeter-Event-Id")));
    }

    [Fact]
    public async Task Deliver_CollectorDownPastMaxDeliveryAge_ExpiredWithoutAnotherAttempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Otherwise = _ => new HookReply(503);
        string[] args = [$"--Alerts:Webhooks:0:Url={receiver.Url()}", "--Alerts:InitialBackoff=00:10:00", "--Alerts:MaxDeliveryAge=01:00:00"];
        await using var collector = await AlertCollector.StartAsync(args);
        await collector.EnqueueAsync(AlertEvents.Threshold(s_now));
        await collector.WaitForAsync(d => d.Attempts() == 1, "the first attempt (503)");

        receiver.Otherwise = _ => HookReply.Ok;
        await collector.RestartAsync(args, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(2)));

        var expired = (await collector.WaitForAsync(d => d.Status() != "pending", "the expiry after the restart")).Single();
        Assert.Equal("expired", expired.Status());
        Assert.Equal(1, expired.Attempts());
        Assert.Equal(503, expired.LastStatusCode());
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task Deliver_PerEndpointEvents_OnlySubscribedEventsSent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var collector = await AlertCollector.StartAsync(
        [
            $"--Alerts:Webhooks:0:Url={receiver.Url("/all")}",
            $"--Alerts:Webhooks:1:Url={receiver.Url("/exhausted")}",
            "--Alerts:Webhooks:1:Events:0=budget_exhausted",
            $"--Alerts:Webhooks:2:Url={receiver.Url("/forecast-and-routing")}",
            "--Alerts:Webhooks:2:Events:0=forecast_exhaustion, routing_changed",
        ]);

        await collector.EnqueueAsync(AlertEvents.Threshold(s_now, threshold: 80));
        await collector.EnqueueAsync(AlertEvents.Threshold(s_now, threshold: 100, type: BudgetEventTypes.BudgetExhausted));
        await collector.EnqueueAsync(AlertEvents.Threshold(s_now, type: BudgetEventTypes.RoutingChanged, dedupeKey: "search-monthly|p|routing|downgrade"));

        var rows = await collector.WaitForAsync(d => d.Status() == "delivered", "every subscribed delivery", expected: 5);
        Assert.Equal(5, rows.Length);
        Assert.Equal(
            ["budget_exhausted", "routing_changed", "threshold_crossed"],
            receiver.RequestsTo("/all").Select(r => r.Header("X-LlmMeter-Event-Type")).Order(StringComparer.Ordinal));
        Assert.Equal(["budget_exhausted"], receiver.RequestsTo("/exhausted").Select(r => r.Header("X-LlmMeter-Event-Type")));
        Assert.Equal(["routing_changed"], receiver.RequestsTo("/forecast-and-routing").Select(r => r.Header("X-LlmMeter-Event-Type")));
    }

    [Fact]
    public async Task Deliver_ReceiverDownPastMaxDeliveryAge_Expired()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Otherwise = _ => new HookReply(503);
        var clock = AlertEvents.Clock();
        await using var collector = await AlertCollector.StartAsync(
        [
            $"--Alerts:Webhooks:0:Url={receiver.Url()}",
            "--Alerts:MaxDeliveryAge=00:01:00",
            "--Alerts:InitialBackoff=00:00:10",
            "--Alerts:MaxBackoff=00:00:20",
        ], clock);
        await collector.EnqueueAsync(AlertEvents.Threshold(clock.GetUtcNow()));

        // Each step waits for the worker to record the attempt, then moves the clock past the next backoff.
        var row = (await collector.WaitForAsync(d => d.Attempts() == 1, "the first attempt")).Single();
        for (var step = 0; step < 10 && row.Status() == "pending"; step++)
        {
            var (attempts, status) = (row.Attempts(), row.Status());
            clock.Advance(TimeSpan.FromSeconds(25));
            row = (await collector.WaitForAsync(d => d.Attempts() > attempts || d.Status() != status, "the next attempt or the expiry")).Single();
        }

        Assert.Equal("expired", row.Status());
        Assert.Equal(3, row.Attempts()); // at 0 s, 25 s and 50 s; the next (66 to 70 s) would be past the minute
        Assert.Equal(503, row.LastStatusCode());
        Assert.Equal(3, receiver.Requests.Count);
        Assert.False(row.TryGetProperty("next_attempt_at", out _));
    }

    [Fact]
    public async Task Deliver_TooManyRequestsWithRetryAfter_NextAttemptHonoursIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Script("/hook", new HookReply(429, RetryAfter: "120"));
        var clock = AlertEvents.Clock();
        await using var collector = await AlertCollector.StartAsync([$"--Alerts:Webhooks:0:Url={receiver.Url()}"], clock);

        await collector.EnqueueAsync(AlertEvents.Threshold(clock.GetUtcNow()));

        var waiting = (await collector.WaitForAsync(d => d.Attempts() == 1, "the 429")).Single();
        Assert.Equal(429, waiting.LastStatusCode());
        Assert.Equal("2026-11-27T10:02:00.000Z", waiting.GetProperty("next_attempt_at").GetString());
        clock.Advance(TimeSpan.FromSeconds(119));
        Assert.Single(receiver.Requests);
        clock.Advance(TimeSpan.FromSeconds(1));
        await collector.WaitForAsync(d => d.Status() == "delivered", "the retry after Retry-After");
        Assert.Equal(2, receiver.Requests.Count);
    }

    /// <summary>Enqueues and waits for a second event to <paramref name="path"/>, proving the worker ran meanwhile.</summary>
    private static async Task DeliverAnotherAsync(AlertCollector collector, WebhookReceiver receiver, string path, int expectedRows)
    {
        receiver.Script(path);
        await collector.EnqueueAsync(AlertEvents.Threshold(s_now, threshold: 95));
        await WaitFor.ValueAsync(
            () => collector.DeliveriesAsync(),
            rows => rows.Length == expectedRows && rows[0].Status() == "delivered",
            "the second event to be delivered");
    }
}
