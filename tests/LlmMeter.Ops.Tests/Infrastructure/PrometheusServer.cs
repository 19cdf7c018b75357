using System.Globalization;
using System.Net;
using System.Text.Json;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>
/// A real Prometheus on 127.0.0.1 and an ephemeral port, with a test copy of the shipped prometheus.yml and rules
/// (<see cref="ShippedConfig"/>) and its data in <paramref name="folder"/>'s <c>prometheus/</c>.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly ToolProcess _process;

    private PrometheusServer(ToolProcess process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public string Output => _process.Output;

    /// <summary>Starts Prometheus scraping <paramref name="collector"/> with <paramref name="metricsKey"/> as its bearer key (from a credentials file, as shipped).</summary>
    public static async Task<PrometheusServer> StartAsync(TempFolder folder, Uri collector, int alertmanagerPort, string metricsKey)
    {
        var rules = Path.Combine(folder.Path, "prometheus", "rules");
        ShippedConfig.Rules(rules);
        var keyFile = folder.Write(Path.Combine("prometheus", "metrics-key"), metricsKey);
        var config = folder.Write(
            Path.Combine("prometheus", "prometheus.yml"),
            ShippedConfig.Prometheus(collector.Authority, string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{alertmanagerPort}"), rules, keyFile));
        var port = FreePort.Next();
        var process = ToolProcess.Start(Tools.Prometheus, [
            "--config.file=" + config,
            "--storage.tsdb.path=" + Path.Combine(folder.Path, "prometheus", "data"),
            string.Create(CultureInfo.InvariantCulture, $"--web.listen-address=127.0.0.1:{port}"),
            "--log.level=warn",
        ]);
        var server = new PrometheusServer(process, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/")));
        await Readiness.WaitAsync(server.Http, process, "Prometheus");
        return server;
    }

    /// <summary>An instant query's <c>data.result</c>; fails the test when Prometheus refuses the query.</summary>
    public async Task<JsonElement> QueryAsync(string expression)
    {
        var (ok, body) = await TryQueryAsync(expression);
        Assert.True(ok, $"Prometheus refused the query {expression}: {body}");
        return body.GetProperty("data").GetProperty("result");
    }

    /// <summary>The query's answer, and whether Prometheus accepted it (false with the error body when it did not).</summary>
    public async Task<(bool Ok, JsonElement Body)> TryQueryAsync(string expression)
    {
        using var content = new FormUrlEncodedContent([new("query", expression)]);
        using var response = await Http.PostAsync(new Uri("api/v1/query", UriKind.Relative), content);
        var body = await JsonBody.ReadAsync(response);
        return (response.StatusCode == HttpStatusCode.OK && body.GetProperty("status").GetString() == "success", body);
    }

    public async Task<JsonElement> GetDataAsync(string pathAndQuery)
    {
        using var response = await Http.GetAsync(new Uri(pathAndQuery, UriKind.Relative));
        var body = await JsonBody.ReadAsync(response);
        Assert.True(response.IsSuccessStatusCode, $"GET {pathAndQuery} answered {(int)response.StatusCode}: {body}");
        return body.GetProperty("data");
    }

    /// <summary>Alert names and states Prometheus has now (for failure messages).</summary>
    public async Task<string> AlertsAsync()
    {
        var alerts = await GetDataAsync("api/v1/alerts");
        return "Prometheus alerts: " + alerts.GetProperty("alerts").ToString();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
    }
}

/// <summary>Waits for <c>GET /-/ready</c>; fails with the program's output when it exits or does not get ready.</summary>
internal static class Readiness
{
    public static async Task WaitAsync(HttpClient http, ToolProcess process, string name)
    {
        await WaitFor.ValueAsync(
            async () =>
            {
                Assert.False(process.HasExited, $"{name} exited at start ({process.CommandLine}):\n{process.Output}");
                try
                {
                    using var response = await http.GetAsync(new Uri("-/ready", UriKind.Relative));
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            ready => ready,
            $"{name} to be ready ({process.CommandLine})",
            diagnostics: () => Task.FromResult(process.Output));
    }
}

internal static class JsonBody
{
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            Assert.Fail($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode} with a body that is not JSON: {text}");
            throw;
        }
    }
}
