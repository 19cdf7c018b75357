using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Dapper;
using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static LlmMeter.Collector.Tests.Api.Api;

namespace LlmMeter.Collector.Tests.Budgets;

/// <summary>A real collector on a fake clock with a <see cref="RecordingOutbox"/>; restart it on the same file.</summary>
internal sealed class BudgetCollector : IAsyncDisposable
{
    private string[] _args;

    private BudgetCollector(CollectorHost host, FakeTimeProvider clock, RecordingOutbox outbox, string[] args)
    {
        Host = host;
        Clock = clock;
        Outbox = outbox;
        _args = args;
        Admin = host.Client();
        Ingest = host.Client(CollectorHost.IngestKey);
    }

    public CollectorHost Host { get; private set; }

    public FakeTimeProvider Clock { get; }

    public RecordingOutbox Outbox { get; }

    public HttpClient Admin { get; private set; }

    public HttpClient Ingest { get; private set; }

    public static async Task<BudgetCollector> StartAsync(DateTimeOffset now, params string[] args)
    {
        var clock = new FakeTimeProvider(now);
        var outbox = new RecordingOutbox();
        var host = await StartHostAsync(CollectorHost.NewFolder(), clock, outbox, args);
        return new BudgetCollector(host, clock, outbox, args);
    }

    /// <summary>Stops the collector and starts a new one on the same database, clock and outbox (with other arguments when given).</summary>
    public async Task RestartAsync(params string[] args)
    {
        if (args.Length > 0)
        {
            _args = args;
        }

        Admin.Dispose();
        Ingest.Dispose();
        await Host.DisposeAsync();
        Host = await StartHostAsync(Host.Folder, Clock, Outbox, _args);
        Admin = Host.Client();
        Ingest = Host.Client(CollectorHost.IngestKey);
    }

    public Task<HttpResponseMessage> PostBudgetAsync(string json) => Admin.PostAsync("v1/budgets", Json(json));

    public Task<HttpResponseMessage> PutBudgetAsync(string id, string json) => Admin.PutAsync($"v1/budgets/{id}", Json(json));

    /// <summary>PUTs the budget and returns it (200 or 201).</summary>
    public async Task<JsonElement> DefineAsync(string json)
    {
        using var document = JsonDocument.Parse(json);
        var id = document.RootElement.GetProperty("id").GetString()!;
        using var response = await PutBudgetAsync(id, json);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, $"PUT {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await ReadJsonAsync(response, response.StatusCode);
    }

    public Task<JsonElement> BudgetAsync(string id) => GetJsonAsync(Admin, $"v1/budgets/{id}");

    public async Task<decimal> SpentAsync(string id) => (await BudgetAsync(id)).GetProperty("status").GetProperty("spent_usd").GetDecimal();

    public async Task<(int Accepted, int Duplicates)> IngestAsync(params LlmCallRecord[] records) => await Api.Api.IngestAsync(Ingest, records);

    /// <summary>Advances the fake clock; the budget timer fires on the way.</summary>
    public void Advance(TimeSpan by) => Clock.Advance(by);

    /// <summary>The ledger row on disk, or null.</summary>
    public long? LedgerUnits(string id, DateTimeOffset periodStart)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Host.DatabasePath, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        return connection.ExecuteScalar<long?>(
            "SELECT spent_units FROM budget_spend WHERE budget_id = @id AND period_start_ms = @start",
            new { id, start = periodStart.ToUnixTimeMilliseconds() });
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Ingest.Dispose();
        await Host.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Host.Folder, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS temp cleaner.
        }
    }

    /// <summary>A budget in its API JSON; <paramref name="scope"/> and <paramref name="thresholds"/> are raw JSON.</summary>
    public static string Definition(
        string id,
        decimal limit = 100m,
        string scope = "null",
        string period = "month",
        string timezone = "UTC",
        string thresholds = "[]") =>
        string.Create(
            CultureInfo.InvariantCulture,
            $$"""{"id":"{{id}}","name":"Budget {{id}}","scope":{{scope}},"period":"{{period}}","timezone":"{{timezone}}","limit_usd":{{limit}},"thresholds":{{thresholds}}}""");

    public static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    private static Task<CollectorHost> StartHostAsync(string folder, FakeTimeProvider clock, RecordingOutbox outbox, string[] args) =>
        CollectorHost.StartAsync(folder, args, services =>
        {
            services.AddSingleton<TimeProvider>(clock);
            services.AddSingleton<IAlertOutbox>(outbox);
        });
}

/// <summary>An <see cref="IAlertOutbox"/> that records every call and deduplicates by key, like the durable one.</summary>
internal sealed class RecordingOutbox : IAlertOutbox
{
    private readonly ConcurrentQueue<BudgetEvent> _calls = new();
    private readonly ConcurrentDictionary<string, BudgetEvent> _stored = new(StringComparer.Ordinal);

    /// <summary>Every enqueue call, in order.</summary>
    public IReadOnlyList<BudgetEvent> Calls => [.. _calls];

    /// <summary>The keys stored (first enqueue of each), in no particular order.</summary>
    public IReadOnlyCollection<string> Keys => [.. _stored.Keys];

    public Task<bool> EnqueueAsync(BudgetEvent budgetEvent, CancellationToken cancellationToken)
    {
        _calls.Enqueue(budgetEvent);
        return Task.FromResult(_stored.TryAdd(budgetEvent.DedupeKey, budgetEvent));
    }

    public Task WaitForKeyAsync(string key) =>
        WaitFor.ConditionAsync(() => _stored.ContainsKey(key), $"alert event {key}; have {string.Join(", ", _stored.Keys.Order(StringComparer.Ordinal))}");
}
