using System.Net;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Collector.Tests.Policy;

public sealed class GrafanaReceiverTests
{
    private static readonly string[] s_secretArgs = [$"--Receivers:GrafanaSecret={PolicyApi.GrafanaSecret}"];

    private static SampleAlert SearchBlock(bool firing = true) => AlertSamples.Labelled(
        "fac0861a85de433a",
        firing,
        ("alertname", "SearchSpendHigh"),
        ("grafana_folder", "LLM"),
        ("team", "search"),
        ("model", "anthropic/*"),
        ("llmmeter_action", "route_free"),
        ("llmmeter_free_model", "meta-llama/llama-3.3-70b-instruct:free"));

    [Fact]
    public async Task Post_SignedSample_CreatesThenResolvedClearsOverride()
    {
        await using var host = await CollectorHost.StartAsync(s_secretArgs);
        using var client = host.Client(null);

        var fired = await PolicyApi.ReceiptAsync(client, PolicyApi.Grafana(AlertSamples.Grafana(SearchBlock()), PolicyApi.GrafanaSecret));

        Assert.Equal(["grafana:fac0861a85de433a"], PolicyApi.Strings(fired, "applied"));
        var entry = Assert.Single((await PolicyApi.PolicyAsync(host)).Policy.Overrides);
        Assert.Equal(RoutingAction.RouteFree, entry.Action);
        Assert.Equal("meta-llama/llama-3.3-70b-instruct:free", entry.FreeModel);
        Assert.Equal(new PolicyScope { Team = "search", Model = "anthropic/*" }, entry.Scope);
        Assert.Equal("SearchSpendHigh", entry.Name);

        var resolved = await PolicyApi.ReceiptAsync(client, PolicyApi.Grafana(AlertSamples.Grafana(SearchBlock(firing: false)), PolicyApi.GrafanaSecret));

        Assert.Equal(["grafana:fac0861a85de433a"], PolicyApi.Strings(resolved, "removed"));
        Assert.Empty((await PolicyApi.PolicyAsync(host)).Policy.Overrides);
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("")]
    public async Task Post_BadOrMissingSignature_401AndNothingApplied(string signature)
    {
        await using var host = await CollectorHost.StartAsync(s_secretArgs);
        var body = AlertSamples.Grafana(SearchBlock());
        // The admin key does not stand in for the signature once a secret is configured.
        using var request = signature.Length == 0 ? PolicyApi.Grafana(body, secret: null) : PolicyApi.Grafana(body, PolicyApi.GrafanaSecret, signatureOverride: signature);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", CollectorHost.AdminKey);

        using var response = await host.Client(null).SendAsync(request);

        var problem = await Api.Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("X-Grafana-Alerting-Signature", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await PolicyApi.OverridesAsync(host));
    }

    [Fact]
    public async Task Post_SignedWithOtherBody_401()
    {
        await using var host = await CollectorHost.StartAsync(s_secretArgs);
        var signedFor = AlertSamples.Grafana(AlertSamples.DiskAlmostFull());
        using var signedRequest = PolicyApi.Grafana(signedFor, PolicyApi.GrafanaSecret);
        var signature = signedRequest.Headers.GetValues("X-Grafana-Alerting-Signature").Single();

        using var request = PolicyApi.Grafana(AlertSamples.Grafana(SearchBlock()), PolicyApi.GrafanaSecret, signatureOverride: signature);
        using var response = await host.Client(null).SendAsync(request);

        await Api.Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Empty(await PolicyApi.OverridesAsync(host));
    }

    [Fact]
    public async Task Post_TimestampVariant_InsideSkewAcceptedOutsideRefused()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));
        await using var collector = await TempCollector.StartAsync(
            [.. s_secretArgs, "--Receivers:GrafanaTimestampHeader=X-Grafana-Alerting-Timestamp", "--Receivers:MaxSkew=00:01:00"],
            services => services.AddSingleton<TimeProvider>(clock));
        using var client = collector.Host.Client(null);
        var body = AlertSamples.Grafana(SearchBlock());
        var now = clock.GetUtcNow().ToUnixTimeSeconds();

        using (var stale = PolicyApi.Grafana(body, PolicyApi.GrafanaSecret, timestamp: now - 61))
        using (var response = await client.SendAsync(stale))
        {
            await Api.Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
        }

        using (var bodyOnly = PolicyApi.Grafana(body, PolicyApi.GrafanaSecret))
        using (var response = await client.SendAsync(bodyOnly))
        {
            await Api.Api.ProblemAsync(response, HttpStatusCode.Unauthorized); // no timestamp header
        }

        Assert.Empty(await PolicyApi.OverridesAsync(collector.Host));
        var receipt = await PolicyApi.ReceiptAsync(client, PolicyApi.Grafana(body, PolicyApi.GrafanaSecret, timestamp: now - 30));
        Assert.Equal(["grafana:fac0861a85de433a"], PolicyApi.Strings(receipt, "applied"));
    }

    [Fact]
    public async Task Post_NoSecretConfigured_NeedsAdminKey()
    {
        await using var host = await CollectorHost.StartAsync();
        var body = AlertSamples.Grafana(SearchBlock());

        using (var unsigned = PolicyApi.Grafana(body, secret: null))
        using (var response = await host.Client(CollectorHost.ReadKey).SendAsync(unsigned))
        {
            await Api.Api.ProblemAsync(response, HttpStatusCode.Forbidden);
        }

        var receipt = await PolicyApi.ReceiptAsync(host.Client(CollectorHost.AdminKey), PolicyApi.Grafana(body, secret: null));
        Assert.Equal(["grafana:fac0861a85de433a"], PolicyApi.Strings(receipt, "applied"));
    }
}
