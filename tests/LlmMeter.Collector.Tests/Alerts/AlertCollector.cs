using System.Net.Http.Json;
using System.Text.Json;
using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using LlmMeter.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Collector.Tests.Alerts;

/// <summary>
/// A real collector with alert webhooks configured by command-line arguments, optionally on a fake clock, that can
/// be restarted on the same database file. Deliveries are read back through <c>GET /v1/alerts/deliveries</c>.
/// </summary>
internal sealed class AlertCollector : IAsyncDisposable
{
    private readonly string _folder;

    private AlertCollector(string folder, CollectorHost host)
    {
        _folder = folder;
        Host = host;
    }

    public CollectorHost Host { get; private set; }

    public IAlertOutbox Outbox => Host.Services.GetRequiredService<IAlertOutbox>();

    public static async Task<AlertCollector> StartAsync(string[] args, TimeProvider? time = null)
    {
        var folder = CollectorHost.NewFolder();
        return new AlertCollector(folder, await StartHostAsync(folder, args, time));
    }

    /// <summary>Stops this collector and starts a new one on the same database file.</summary>
    public async Task RestartAsync(string[] args, TimeProvider? time = null)
    {
        await Host.DisposeAsync();
        Host = await StartHostAsync(_folder, args, time);
    }

    public Task<bool> EnqueueAsync(BudgetEvent budgetEvent) => Outbox.EnqueueAsync(budgetEvent, CancellationToken.None);

    /// <summary>The delivery log, newest first.</summary>
    public async Task<JsonElement[]> DeliveriesAsync(string query = "")
    {
        using var client = Host.Client();
        var body = await client.GetFromJsonAsync<JsonElement>("v1/alerts/deliveries" + query);
        return [.. body.GetProperty("deliveries").EnumerateArray()];
    }

    /// <summary>The deliveries of one event.</summary>
    public async Task<JsonElement[]> DeliveriesOfAsync(string eventId) =>
        [.. (await DeliveriesAsync()).Where(d => d.GetProperty("event_id").GetString() == eventId)];

    /// <summary>Waits until every delivery of the budget's events satisfies <paramref name="done"/> (and there is at least one).</summary>
    public async Task<JsonElement[]> WaitForAsync(Func<JsonElement, bool> done, string what, int expected = 1)
    {
        var deadline = DateTime.UtcNow + WaitFor.DefaultTimeout;
        while (true)
        {
            var rows = await DeliveriesAsync();
            if (rows.Length >= expected && rows.All(done))
            {
                return rows;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}; deliveries: {JsonSerializer.Serialize(rows)}");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A handle still open; the OS temp cleaner gets it.
        }
    }

    private static Task<CollectorHost> StartHostAsync(string folder, string[] args, TimeProvider? time) =>
        CollectorHost.StartAsync(folder, args, time is null ? null : services => services.AddSingleton(time));
}

/// <summary>Budget events as the budgets component produces them.</summary>
internal static class AlertEvents
{
    public static readonly DateTimeOffset PeriodStart = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public static BudgetEvent Threshold(
        DateTimeOffset at,
        double threshold = 80,
        string budgetId = "search-monthly",
        string name = "Search API monthly",
        string type = BudgetEventTypes.ThresholdCrossed,
        decimal spent = 80.25m,
        string? dedupeKey = null) => new()
        {
            DedupeKey = dedupeKey ?? $"{budgetId}|{PeriodStart.ToUnixTimeMilliseconds()}|threshold|{threshold}",
            Type = type,
            Threshold = type is BudgetEventTypes.ThresholdCrossed or BudgetEventTypes.BudgetExhausted ? threshold : null,
            RoutingAction = RoutingAction.Downgrade,
            At = at,
            Status = new BudgetStatus
            {
                Budget = new BudgetDefinition
                {
                    Id = budgetId,
                    Name = name,
                    Scope = new PolicyScope { App = "search-api", Model = "openai/*" },
                    Period = BudgetPeriodKind.Month,
                    LimitUsd = 100m,
                },
                PeriodStart = PeriodStart,
                PeriodEnd = PeriodStart.AddMonths(1),
                SpentUsd = spent,
                ThresholdReached = threshold,
                ActiveAction = RoutingAction.Downgrade,
            },
        };

    /// <summary>A fake clock inside the events' period.</summary>
    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
}

internal static class DeliveryJson
{
    public static string Status(this JsonElement delivery) => delivery.GetProperty("status").GetString()!;

    public static int Attempts(this JsonElement delivery) => delivery.GetProperty("attempts").GetInt32();

    public static string EventId(this JsonElement delivery) => delivery.GetProperty("event_id").GetString()!;

    public static int? LastStatusCode(this JsonElement delivery) =>
        delivery.TryGetProperty("last_status_code", out var code) ? code.GetInt32() : null;

    public static string? LastError(this JsonElement delivery) =>
        delivery.TryGetProperty("last_error", out var error) ? error.GetString() : null;
}
