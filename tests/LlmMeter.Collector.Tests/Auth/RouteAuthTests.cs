using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmMeter.Collector.Tests.Hosting;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Policy;

namespace LlmMeter.Collector.Tests.Auth;

/// <summary>
/// With keys configured nothing is readable or writable without one: every route of the app, enumerated from its
/// endpoint data source (not a hand-kept list), with every method it takes, answers 401 to a request without a key
/// or with an unknown one; the metrics key opens <c>/metrics</c> and nothing else.
/// </summary>
public sealed class RouteAuthTests
{
    public const string MetricsKey = "metrics-key-0123456789abc";

    public static TheoryData<string, string[]> Configurations => new()
    {
        // Without receiver secrets both receivers need the admin key; with them, the token or the signature.
        { "keys only", [$"--Keys:Metrics={MetricsKey}"] },
        { "keys and receiver secrets", [$"--Keys:Metrics={MetricsKey}", $"--Receivers:AlertmanagerToken={PolicyApi.AlertmanagerToken}", $"--Receivers:GrafanaSecret={PolicyApi.GrafanaSecret}"] },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task EveryRoute_NoKeyOrUnknownKey_Returns401(string configuration, string[] args)
    {
        await using var host = await CollectorHost.StartAsync(args);
        await SeedAsync(host);
        var routes = AppRoutes.Of(host.Services);
        Assert.True(routes.Count >= 15, $"{configuration}: expected every route, found {string.Join(", ", routes)}");

        foreach (var bearer in new[] { null, "not-a-configured-key-0123456789" })
        {
            foreach (var route in routes)
            {
                using var response = await SendAsync(host, route, bearer);
                var body = await response.Content.ReadAsStringAsync();

                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{configuration}: {route} with {(bearer is null ? "no key" : "an unknown key")} answered {(int)response.StatusCode}: {body}");
                Assert.DoesNotContain("gen-route-auth", body, StringComparison.Ordinal);
                Assert.DoesNotContain("llmmeter_", body, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task EveryRoute_MetricsKey_OpensMetricsOnly()
    {
        await using var host = await CollectorHost.StartAsync($"--Keys:Metrics={MetricsKey}");
        await SeedAsync(host);

        foreach (var route in AppRoutes.Of(host.Services))
        {
            using var response = await SendAsync(host, route, MetricsKey);

            if (route.Pattern == "/metrics")
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{route}: {(int)response.StatusCode}");
                Assert.Contains("llmmeter_requests_total", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
            else
            {
                Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized, $"{route} with the metrics key: {(int)response.StatusCode}");
            }
        }
    }

    [Theory]
    [InlineData(MetricsKey, HttpStatusCode.OK)]
    [InlineData(CollectorHost.ReadKey, HttpStatusCode.OK)]
    [InlineData(CollectorHost.AdminKey, HttpStatusCode.OK)]
    [InlineData(CollectorHost.IngestKey, HttpStatusCode.Forbidden)]
    [InlineData("not-a-configured-key-0123456789", HttpStatusCode.Unauthorized)]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    public async Task Metrics_EachKey_AnswersByScope(string? key, HttpStatusCode expected)
    {
        await using var host = await CollectorHost.StartAsync($"--Keys:Metrics={MetricsKey}");
        using var client = host.Client(key);

        using var response = await client.GetAsync(new Uri("metrics", UriKind.Relative));

        Assert.Equal(expected, response.StatusCode);
        if (expected != HttpStatusCode.OK)
        {
            var problem = await Api.Api.ProblemAsync(response, expected);
            Assert.Contains(expected == HttpStatusCode.Forbidden ? "metrics, read or admin key" : "Bearer", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Metrics_KeysWithoutAMetricsKey_ReadKeyScrapes()
    {
        await using var host = await CollectorHost.StartAsync();

        using var anonymous = await host.Client(null).GetAsync(new Uri("metrics", UriKind.Relative));
        using var read = await host.Client(CollectorHost.ReadKey).GetAsync(new Uri("metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    // Something to leak, were a route open: a stored call (its id), a budget, and the counters it moved.
    private static async Task SeedAsync(CollectorHost host)
    {
        using var ingest = host.Client(CollectorHost.IngestKey);
        await Api.Api.IngestAsync(ingest, [Records.Call(id: "gen-route-auth")]);
    }

    private static async Task<HttpResponseMessage> SendAsync(CollectorHost host, AppRoute route, string? bearer)
    {
        using var client = host.Client(null);
        using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path.TrimStart('/'));
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (route.Method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
