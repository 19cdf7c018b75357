using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>
/// The stack docker-compose.yml runs, as real processes on loopback: a collector (Kestrel, temp SQLite), Alertmanager
/// delivering to it, and Prometheus scraping it every second, evaluating the shipped rules every second and sending
/// alerts to that Alertmanager.
/// </summary>
internal sealed class OpsStack : IAsyncDisposable
{
    public const string AlertmanagerToken = "alertmanager-token-0123456789";

    /// <summary>The collector's Keys:Metrics, which Prometheus scrapes with (a key that opens /metrics only).</summary>
    public const string MetricsKey = "metrics-key-0123456789abc";

    private readonly TempFolder _folder;

    private OpsStack(TempFolder folder, CollectorHost collector, AlertmanagerServer alertmanager, PrometheusServer prometheus)
    {
        _folder = folder;
        Collector = collector;
        Alertmanager = alertmanager;
        Prometheus = prometheus;
    }

    public CollectorHost Collector { get; }

    public AlertmanagerServer Alertmanager { get; }

    public PrometheusServer Prometheus { get; }

    public static async Task<OpsStack> StartAsync()
    {
        var folder = new TempFolder();
        CollectorHost? collector = null;
        AlertmanagerServer? alertmanager = null;
        try
        {
            collector = await CollectorHost.StartAsync($"--Receivers:AlertmanagerToken={AlertmanagerToken}", $"--Keys:Metrics={MetricsKey}");
            alertmanager = await AlertmanagerServer.StartAsync(folder, FreePort.Next(), collector.BaseAddress, AlertmanagerToken);
            var prometheus = await PrometheusServer.StartAsync(folder, collector.BaseAddress, alertmanager.Port, MetricsKey);
            return new OpsStack(folder, collector, alertmanager, prometheus);
        }
        catch
        {
            if (alertmanager is not null)
            {
                await alertmanager.DisposeAsync();
            }

            if (collector is not null)
            {
                await collector.DisposeAsync();
            }

            folder.Dispose();
            throw;
        }
    }

    /// <summary>POSTs a budget (the API's JSON) with the admin key.</summary>
    public async Task CreateBudgetAsync(string json)
    {
        using var client = Collector.Client();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri("v1/budgets", UriKind.Relative), content);
        Assert.True(response.IsSuccessStatusCode, $"POST /v1/budgets answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>POSTs records to /v1/calls in the wire format, as the exporter does.</summary>
    public async Task IngestAsync(IEnumerable<LlmCallRecord> records)
    {
        using var client = Collector.Client(CollectorHost.IngestKey);
        var body = "[" + string.Join(',', records.Select(LlmMeterJson.Serialize)) + "]";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri("v1/calls", UriKind.Relative), content);
        Assert.True(response.IsSuccessStatusCode, $"POST /v1/calls answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Waits until Prometheus has scraped the collector with <c>llmmeter_ingest_records_total{result="accepted"}</c> at least <paramref name="accepted"/>.</summary>
    public Task WaitForScrapeAsync(int accepted) =>
        WaitFor.ValueAsync(
            async () =>
            {
                var result = await Prometheus.QueryAsync("sum(llmmeter_ingest_records_total{result=\"accepted\"})");
                return result.GetArrayLength() == 0 ? 0 : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
            },
            value => value >= accepted,
            string.Create(CultureInfo.InvariantCulture, $"Prometheus to scrape {accepted} accepted records"),
            diagnostics: () => Task.FromResult(Prometheus.Output));

    /// <summary>The collector's alert-driven overrides (<c>GET /v1/overrides</c>).</summary>
    public async Task<JsonElement> OverridesAsync()
    {
        using var client = Collector.Client(CollectorHost.ReadKey);
        return await client.GetFromJsonAsync<JsonElement>(new Uri("v1/overrides", UriKind.Relative));
    }

    public async Task<string> DiagnosticsAsync() =>
        await Prometheus.AlertsAsync() + "\n" + await Alertmanager.AlertsAsync() + "\nCollector overrides: " + await OverridesAsync();

    public async ValueTask DisposeAsync()
    {
        await Prometheus.DisposeAsync();
        await Alertmanager.DisposeAsync();
        await Collector.DisposeAsync();
        _folder.Dispose();
    }
}
