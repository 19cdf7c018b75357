using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Policy;
using Microsoft.Extensions.DependencyInjection;

namespace LlmMeter.Collector.Tests.Policy;

/// <summary>A collector on its own temp folder, with services replaced as a test needs; the folder goes with it.</summary>
internal sealed class TempCollector : IAsyncDisposable
{
    private TempCollector(CollectorHost host, string folder)
    {
        Host = host;
        Folder = folder;
    }

    public CollectorHost Host { get; }

    public string Folder { get; }

    public static async Task<TempCollector> StartAsync(string[] args, Action<IServiceCollection>? configure = null)
    {
        var folder = CollectorHost.NewFolder();
        return new TempCollector(await CollectorHost.StartAsync(folder, args, configure), folder);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a pooled handle; the OS temp cleaner gets it.
        }
    }
}

/// <summary>Calls of the policy, override and receiver endpoints.</summary>
internal static class PolicyApi
{
    public const string AlertmanagerToken = "am-token-0123456789abcdef";
    public const string GrafanaSecret = "grafana-hmac-secret-0123456789";

    public static HttpRequestMessage Alertmanager(string body, string? bearer)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/alerts/alertmanager") { Content = Api.Api.Json(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return request;
    }

    /// <summary>A Grafana notification signed as Grafana's HMAC round tripper does (lowercase hex; <c>ts:body</c> with a timestamp).</summary>
    public static HttpRequestMessage Grafana(string body, string? secret, long? timestamp = null, string? signatureOverride = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/alerts/grafana") { Content = Api.Api.Json(body) };
        if (secret is not null)
        {
            var signed = timestamp is { } ts ? $"{ts}:{body}" : body;
            var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(signed)));
            request.Headers.Add("X-Grafana-Alerting-Signature", signatureOverride ?? signature);
            if (timestamp is { } t)
            {
                request.Headers.Add("X-Grafana-Alerting-Timestamp", t.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return request;
    }

    /// <summary>Sends and expects 200 with the receipt.</summary>
    public static async Task<JsonElement> ReceiptAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await client.SendAsync(request);
            return await Api.Api.ReadJsonAsync(response, HttpStatusCode.OK);
        }
    }

    public static string[] Strings(JsonElement receipt, string property) =>
        [.. receipt.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];

    public static async Task<List<JsonElement>> OverridesAsync(CollectorHost host)
    {
        using var read = host.Client(CollectorHost.ReadKey);
        var list = await Api.Api.GetJsonAsync(read, "v1/overrides");
        return [.. list.GetProperty("overrides").EnumerateArray()];
    }

    public static async Task<(RoutingPolicy Policy, string ETag)> PolicyAsync(CollectorHost host)
    {
        using var read = host.Client(CollectorHost.ReadKey);
        using var response = await read.GetAsync("v1/policy");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), LlmMeterPolicyJsonContext.Default.RoutingPolicy)!;
        return (policy, response.Headers.ETag!.ToString());
    }
}
